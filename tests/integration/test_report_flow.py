"""The whole path on real components: token → report over HTTP → Redis → a real
Celery worker on PostgreSQL → the coordinator's admin queue → the auditor's CSV."""

import csv
import io

import pytest

from reports.models import IncidentReport, ReportEvent
from testkit.processes import wait_for
from tests.conftest import PASSWORD, report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _state(report_id):
    return IncidentReport.objects.filter(pk=report_id).values_list("state", flat=True).first()


def test_report_travels_from_observer_to_worker_to_coordinator_and_auditor(world, celery_worker, api_client, client):
    token = api_client.post("/api/v1/auth/token/", {"username": "observer", "password": PASSWORD}, format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    created = api_client.post("/api/v1/reports/", report_payload(world, category="ballot_stuffing"), format="json")
    assert created.status_code == 201, created.content
    report_id = created.json()["id"]

    wait_for(lambda: _state(report_id) == "accepted", message="the worker to accept the report")
    body = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert body["geotag"]["source"] == "device_gps" and body["geotag"]["nearest_station"] == world.station.code
    # The test election is of January 2021 and the report is received today: late.
    assert {f["code"] for f in body["flags"]} == {"critical_category", "late_filing"}
    assert body["triage_status"] == "escalated"
    assert list(ReportEvent.objects.filter(report_id=report_id).values_list("action", flat=True)) == ["submitted", "processed", "triage"]

    client.force_login(world.coordinator.user)
    queue = client.get("/admin/reports/submission/")
    assert queue.status_code == 200 and world.station.code in queue.content.decode()

    client.force_login(world.auditor.user)
    export = client.get(f"/exports/reports.csv?election={world.election.code}")
    lines = b"".join(export.streaming_content).decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(lines)) if not r["report_id"].startswith("#manifest")]
    assert [r["report_id"] for r in rows] == [report_id]
    assert rows[0]["observer_code"] == world.observer.public_code
    assert "observer" not in {rows[0]["observer_code"], rows[0]["organization"]}
