"""What filing one report costs in database round trips on PostgreSQL
(docs/performance.md, "Intake"): asserted, so that a regression shows here and
not only in the benchmark. The election's code and the category come from the
process's short-lived cache; everything that gates the report is read fresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import IncidentReport, ReportEvent
from roster.tokens import token_issue
from tests.conftest import report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _statements(api_client, world) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = api_client.post("/api/v1/reports/", report_payload(world), format="json")
    assert response.status_code == 201, response.content
    return [q["sql"] for q in captured.captured_queries]


def test_filing_a_report_takes_six_round_trips(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=world.observer.user)[1]}")
    _statements(api_client, world)  # the first fills the caches

    statements = _statements(api_client, world)

    assert [s.split('"')[0].split(" (")[0].strip() for s in statements] == [
        "SELECT",  # the token, its user, their observer profile and organization
        "SELECT",  # the station, its election as it stands, the accreditation gate
        "BEGIN",
        "INSERT INTO",  # the report (its key's uniqueness is the resend check)
        "WITH submitted AS",  # the `submitted` event and the chain's link
        "COMMIT",
    ]
    assert '"roster_apitoken"' in statements[0] and '"monitoring_observerorganization"' in statements[0]
    assert '"monitoring_election"' in statements[1] and '"monitoring_accreditation"' in statements[1]


def test_a_resend_and_a_changed_body_are_told_apart_by_the_insert(world, api_client):
    """No look-up before the insert: the taken key fails it (the transaction
    rolls back, the chain keeps no link for it), and the resend is answered."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=world.observer.user)[1]}")
    payload = report_payload(world)
    first = api_client.post("/api/v1/reports/", payload, format="json")
    again = api_client.post("/api/v1/reports/", payload, format="json")
    changed = api_client.post("/api/v1/reports/", dict(payload, description="Something else entirely."), format="json")
    after = api_client.post("/api/v1/reports/", report_payload(world), format="json")

    assert first.status_code == 201 and after.status_code == 201
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert (changed.status_code, changed.json()["report"]) == (409, first.json()["id"])
    assert IncidentReport.objects.count() == 2
    assert ReportEvent.objects.filter(action="submitted").count() == 2
    assert sorted(IncidentReport.objects.values_list("chain_seq", flat=True)) == [1, 2]
