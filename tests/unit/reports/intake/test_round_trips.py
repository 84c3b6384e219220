"""Intake with few round trips (docs/performance.md, "Intake") keeps every
guarantee: what a process caches for a few seconds (an election's code, the
active categories) never lets a report past a gate that closed meanwhile,
whichever process closed it; the resend check folded into the insert still
answers a resend (200) or a changed body (409), also after a suspension; and
the number of queries of one report is pinned."""

import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import Accreditation, Election
from monitoring.services import accreditation_set_status
from monitoring.shortlived import ShortLived
from reports.models import IncidentCategory, IncidentReport, ReportEvent
from roster.tokens import token_issue
from tests.conftest import report_payload

REPORTS = "/api/v1/reports/"


def test_one_report_costs_a_fixed_number_of_queries(world, api_client, django_capture_on_commit_callbacks):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=world.observer.user)[1]}")
    assert api_client.post(REPORTS, report_payload(world), format="json").status_code == 201  # fills the caches
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=False):
        response = api_client.post(REPORTS, report_payload(world), format="json")
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured.captured_queries]
    # Before the transaction, two reads: the token with its user, observer and
    # organization; the station with its election and the accreditation gate.
    assert [s.split()[0] for s in statements[:3]] == ["SELECT", "SELECT", "SAVEPOINT"], "\n".join(statements)
    assert "roster_apitoken" in statements[0] and "monitoring_observerorganization" in statements[0]
    assert "monitoring_pollingstation" in statements[1] and "monitoring_accreditation" in statements[1]
    # Then the writes: SQLite appends to the chain in Python (five statements
    # where PostgreSQL sends one call with the event: tests/integration/test_intake_queries.py).
    assert len(statements) == 10, "\n".join(statements)


def test_an_election_closed_by_another_process_is_refused_at_once(world, post_report):
    assert post_report(world.observer, report_payload(world)).status_code == 201  # this process caches the election
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)  # no signal: as another process would

    response = post_report(world.observer, report_payload(world))
    assert (response.status_code, response.json()["code"]) == (403, "election_closed")
    assert IncidentReport.objects.count() == 1


def test_a_revocation_by_another_process_takes_effect_at_once(world, post_report):
    assert post_report(world.observer, report_payload(world)).status_code == 201
    Accreditation.objects.filter(pk=world.accreditation.pk).update(status=Accreditation.Status.REVOKED, revoked_at=timezone.now())

    response = post_report(world.observer, report_payload(world))
    assert (response.status_code, response.json()["code"]) == (403, "accreditation_revoked")
    assert IncidentReport.objects.count() == 1


def test_a_report_received_before_its_election_closed_is_rejected_by_the_pipeline(world, as_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as pipeline:
        response = as_user(world.observer).post(REPORTS, report_payload(world), format="json")
    assert response.status_code == 201
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)
    for callback in pipeline:
        callback()

    report = IncidentReport.objects.get(pk=response.json()["id"])
    assert report.state == "rejected"
    assert [r["code"] for r in report.rejection_reasons] == ["election_closed"]


def test_a_category_retired_in_this_process_is_refused_at_once(world, post_report):
    assert post_report(world.observer, report_payload(world, category="carousel_voting")).status_code == 201
    category = IncidentCategory.objects.get(code="carousel_voting")
    category.is_active = False
    category.save()

    response = post_report(world.observer, report_payload(world, category="carousel_voting"))
    assert response.status_code == 400 and "category" in response.json()


@pytest.mark.parametrize("gate", ["suspended", "closed"])
def test_a_resend_is_answered_even_after_the_gate_closed(world, post_report, gate):
    payload = report_payload(world)
    first = post_report(world.observer, payload)
    if gate == "suspended":
        accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.SUSPENDED, reason="test")
    else:
        Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)

    again = post_report(world.observer, payload)
    changed = post_report(world.observer, dict(payload, description="Something else entirely."))
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert (changed.status_code, changed.json()["code"], changed.json()["report"]) == (409, "client_uuid_conflict", first.json()["id"])
    assert post_report(world.observer, report_payload(world)).status_code == 403  # a new one is refused
    assert IncidentReport.objects.count() == 1 and ReportEvent.objects.filter(action="submitted").count() == 1


def test_a_short_lived_value_is_read_again_after_its_time_and_a_miss_is_never_kept():
    reads = []
    values = {"a": 1}

    def load(key):
        reads.append(key)
        return values.get(key)

    cache = ShortLived(load, ttl=0.2)
    assert [cache.get("a"), cache.get("a"), cache.get("b"), cache.get("b")] == [1, 1, None, None]
    assert reads == ["a", "b", "b"]
    values.update(a=2, b=3)
    assert (cache.get("a"), cache.get("b")) == (1, 3)
    time.sleep(0.25)
    assert cache.get("a") == 2
    assert reads == ["a", "b", "b", "b", "a"]


def test_a_new_report_with_a_key_used_by_another_observer_is_still_created(world, post_report):
    payload = report_payload(world, client_uuid=str(uuid.uuid4()))
    assert post_report(world.observer, payload).status_code == 201
    assert post_report(world.observer_2, payload).status_code == 201
