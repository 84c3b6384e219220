"""What intake refuses cheaply, before the pipeline: the same reason codes and
translatable texts the pipeline uses."""

import pytest

from monitoring.models import Election
from reports.models import IncidentReport
from tests.conftest import report_payload


def test_a_closed_election_is_refused_at_intake(world, as_user):
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)
    response = as_user(world.observer).post("/api/v1/reports/", report_payload(world), format="json")
    assert response.status_code == 403
    assert response.json() == {"code": "election_closed", "detail": "The election is closed to new reports."}
    assert IncidentReport.objects.count() == 0


def test_a_revoked_organization_is_told_when(world, as_user):
    response = as_user(world.revoked_observer).post("/api/v1/reports/", report_payload(world), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "accreditation_revoked"
    assert response.json()["detail"] == "Your organization's accreditation for this election was revoked on 2021-01-04 18:00 UTC."


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Only observers of an accredited organization can file reports."),
        ("kk", "Хабарламаны тек аккредиттелген ұйымның байқаушылары бере алады."),
        ("ru", "Подавать сообщения могут только наблюдатели аккредитованной организации."),
    ],
    ids=["en", "kk", "ru"],
)
def test_someone_who_does_not_file_reports_is_refused_in_their_language(world, as_user, language, text):
    response = as_user(world.auditor).post("/api/v1/reports/", report_payload(world), format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert response.json() == {"code": "not_an_observer", "detail": text}
    assert IncidentReport.objects.count() == 0
