"""The whole path on real components: token → report over HTTP → Redis → a real
Celery worker on PostgreSQL → the coordinator's admin queue → the auditor's CSV."""

import csv
import io
import json
import urllib.error
import urllib.request

import pytest

from reports.models import IncidentReport, ReportEvent
from reports.services import reports_sweep_stuck
from tests.conftest import PASSWORD, report_payload
from tests.integration.conftest import wait_until
from tests.processes import child_env, free_port, gunicorn

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _state(report_id):
    return IncidentReport.objects.filter(pk=report_id).values_list("state", flat=True).first()


def _http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_report_travels_from_observer_to_worker_to_coordinator_and_auditor(world, celery_worker, api_client, client):
    token = api_client.post("/api/v1/auth/token/", {"username": "observer", "password": PASSWORD}, format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    created = api_client.post("/api/v1/reports/", report_payload(world, category="ballot_stuffing"), format="json")
    assert created.status_code == 201, created.content
    report_id = created.json()["id"]

    wait_until(lambda: _state(report_id) == "accepted", message="the worker to accept the report")
    body = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert body["geotag"]["source"] == "device_gps" and body["geotag"]["nearest_station"] == world.station.code
    # The test election is of January 2021 and the report is received today: late.
    assert {f["code"] for f in body["flags"]} == {"critical_category", "late_filing"}
    assert body["triage_status"] == "escalated"
    assert list(ReportEvent.objects.filter(report_id=report_id).values_list("action", flat=True)) == ["submitted", "processed", "triage"]

    client.force_login(world.coordinator.user)
    queue = client.get("/admin/reports/incidentreport/")
    assert queue.status_code == 200 and world.station.code in queue.content.decode()

    client.force_login(world.auditor.user)
    export = client.get(f"/exports/reports.csv?election={world.election.code}")
    lines = b"".join(export.streaming_content).decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(lines)) if not r["report_id"].startswith("#manifest")]
    assert [r["report_id"] for r in rows] == [report_id]
    assert rows[0]["observer_code"] == world.observer.public_code
    assert "observer" not in {rows[0]["observer_code"], rows[0]["organization"]}


def test_broker_down_at_submission_loses_nothing_and_the_sweeper_catches_up(world, celery_worker, tmp_path):
    from roster.tokens import token_issue

    token = token_issue(user=world.observer.user)[1]
    dead_broker = child_env(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    with gunicorn(tmp_path / "gunicorn.log", env=dead_broker) as base:
        status, body = _http("POST", f"{base}/api/v1/reports/", report_payload(world), {"Authorization": f"Token {token}"})
    assert status == 201, body
    assert _state(body["id"]) == "received"

    assert reports_sweep_stuck(older_than_seconds=0) == 1
    wait_until(lambda: _state(body["id"]) == "accepted", message="the swept report to be processed")
    assert ReportEvent.objects.filter(report_id=body["id"], action="processed").count() == 1


def test_same_report_enqueued_twice_is_processed_once(world, celery_worker):
    from rest_framework.test import APIClient

    from reports.services import enqueue_processing

    client = APIClient()
    client.force_authenticate(world.observer.user)
    report_id = client.post("/api/v1/reports/", report_payload(world), format="json").json()["id"]
    for _ in range(3):
        enqueue_processing(report_id)
    wait_until(lambda: _state(report_id) == "accepted", message="acceptance")
    wait_until(lambda: "succeeded" in celery_worker.log_text(), message="worker log")
    assert ReportEvent.objects.filter(report_id=report_id, action="processed").count() == 1
    assert list(IncidentReport.objects.get(pk=report_id).flags.values_list("code", flat=True)) == ["late_filing"]


def test_healthz_reports_database_and_broker_and_503_without_database(world, tmp_path):
    with gunicorn(tmp_path / "ok.log") as base:
        status, body = _http("GET", f"{base}/healthz")
    assert status == 200
    assert body["database"]["ok"] is True and body["database"]["engine"] == "postgresql"
    assert body["broker"]["ok"] is True and body["broker"]["mode"] == "broker"

    no_database = child_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nowhere")
    with gunicorn(tmp_path / "down.log", env=no_database) as base:
        status, body = _http("GET", f"{base}/healthz")
        report_status, report_body = _http("POST", f"{base}/api/v1/reports/", {}, {"Authorization": "Token x"})
    assert status == 503 and body["database"]["ok"] is False
    assert report_status == 503 and report_body["code"] == "service_unavailable"
