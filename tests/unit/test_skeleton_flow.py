"""The walking skeleton's contracts on the embedded defaults: the pipeline is
idempotent, the admin queue is scoped and its actions audited, the CSV is
scoped and pseudonymous, and the web form files through the same service."""

import csv
import io

import pytest

from reports.models import Flag, IncidentReport, ReportEvent
from reports.services.pipeline import report_process, report_reprocess
from tests.conftest import report_payload


@pytest.fixture
def filed(world, as_user, django_capture_on_commit_callbacks):
    def file(who, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(who).post("/api/v1/reports/", report_payload(world, **overrides), format="json")
        assert response.status_code == 201, response.content
        return IncidentReport.objects.get(pk=response.json()["id"])

    return file


def _state(report_id):
    report = IncidentReport.objects.get(pk=report_id)
    flags = sorted(Flag.objects.filter(report=report).values_list("code", "severity", "explanation", "state"))
    return (report.state, report.risk_score, report.triage_status, report.location_source, report.claimed_station_distance_m, flags)


def test_running_the_pipeline_again_leaves_the_same_state_flags_and_events(world, filed):
    # Off site (Nur-Sultan coordinates for an Almaty station, so in another region),
    # after polls closed, and filed years later.
    report = filed(world.observer, latitude=51.1801, longitude=71.44598, occurred_at="2021-01-10T21:30:00+06:00")
    before, events = _state(report.pk), ReportEvent.objects.filter(report=report).count()
    assert {f[0] for f in before[-1]} == {"off_site", "region_mismatch", "outside_polling_hours", "late_filing"}

    outcome = report_process(report_id=report.pk)

    assert outcome.changed is False
    assert _state(report.pk) == before
    assert ReportEvent.objects.filter(report=report).count() == events


def test_forced_rerun_recomputes_identically_and_records_who(world, filed):
    report = filed(world.observer, latitude=51.1801, longitude=71.44598)
    before = _state(report.pk)
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    assert _state(report.pk) == before
    rerun = ReportEvent.objects.get(report=report, action="reprocessed")
    assert rerun.actor == world.coordinator.user


def test_outside_polling_hours_is_judged_in_the_stations_own_zone(world, filed):
    # 07:30 in Aktobe (UTC+5 in 2021) is 08:30 in Almaty: inside hours at the Aktobe station.
    inside = filed(world.observer, station="13001", latitude=50.2797, longitude=57.2072, occurred_at="2021-01-10T02:30:00Z")
    # 06:30 Aktobe time (01:30 UTC) is before polls open there, though 07:30 in Almaty.
    before_open = filed(world.observer, station="13001", latitude=50.2797, longitude=57.2072, occurred_at="2021-01-10T01:30:00Z")
    assert not inside.flags.filter(code="outside_polling_hours").exists()
    flag = before_open.flags.get(code="outside_polling_hours")
    assert "06:30" in flag.explanation and "Asia/Aqtobe" in flag.explanation


def test_no_gps_falls_back_to_the_station_and_is_flagged(world, filed):
    report = filed(world.observer, latitude=None, longitude=None, accuracy_m=None)
    assert report.location_source == "station"
    assert list(report.flags.order_by("code").values_list("code", flat=True)) == ["late_filing", "no_location"]


def test_coordinator_queue_is_scoped_ordered_by_risk_and_actions_are_audited(world, filed, client):
    calm = filed(world.observer, category="other")
    worst = filed(world.observer_2, category="ballot_stuffing", latitude=51.1801, longitude=71.44598)
    foreign = filed(world.other_observer, category="violence")

    client.force_login(world.coordinator.user)
    page = client.get("/admin/reports/incidentreport/")
    assert page.status_code == 200
    shown = [r.pk for r in page.context["cl"].result_list]
    assert shown == [worst.pk, calm.pk]
    assert foreign.pk not in shown

    response = client.post(
        "/admin/reports/incidentreport/", {"action": "verify", "_selected_action": [str(calm.pk), str(foreign.pk)]}, follow=True
    )
    assert response.status_code == 200
    calm.refresh_from_db()
    foreign.refresh_from_db()
    assert calm.triage_status == "verified" and calm.decided_by == world.coordinator.user
    assert foreign.triage_status != "verified"  # outside the coordinator's organization
    event = ReportEvent.objects.get(report=calm, action="triage")
    assert (event.actor, event.from_value, event.to_value) == (world.coordinator.user, "new", "verified")


def test_auditor_reads_the_queue_but_cannot_triage(world, filed, client):
    report = filed(world.observer)
    client.force_login(world.auditor.user)
    assert client.get("/admin/reports/incidentreport/").status_code == 200
    client.post("/admin/reports/incidentreport/", {"action": "verify", "_selected_action": [str(report.pk)]})
    report.refresh_from_db()
    assert report.triage_status == "new"
    assert not ReportEvent.objects.filter(report=report, action="triage").exists()


def test_observers_have_no_admin_access(world, client):
    client.force_login(world.observer.user)
    assert client.get("/admin/reports/incidentreport/").status_code == 302


def _csv_rows(text):
    # The export ends with `#manifest` rows (docs/export.md); these are the data rows.
    return [r for r in csv.DictReader(io.StringIO(text)) if r["report_id"] != "#manifest"]


def _csv(response):
    return _csv_rows(b"".join(response.streaming_content).decode("utf-8-sig"))


def test_csv_export_is_scoped_pseudonymous_and_neutralizes_formulas(world, filed, client):
    mine = filed(world.observer, description='=HYPERLINK("http://evil")')
    filed(world.other_observer)

    client.force_login(world.auditor.user)
    response = client.get(f"/exports/reports.csv?election={world.election.code}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [r["report_id"] for r in rows] == [str(mine.pk)]
    row = rows[0]
    for column in ["report_id", "election", "organization", "observer_code", "station_code", "region", "district", "category",
                   "severity", "occurred_at_utc", "occurred_at_local", "received_at_utc", "latitude", "longitude", "state",
                   "flags", "triage_status", "description"]:  # fmt: skip
        assert column in row
    assert row["observer_code"] == world.observer.public_code
    assert row["occurred_at_local"].endswith("+06:00") and row["occurred_at_utc"].endswith("Z")
    assert row["description"].startswith("'=")
    text = b"".join(client.get(f"/exports/reports.csv?election={world.election.code}").streaming_content).decode()
    for name in ("observer", world.observer.user.username):
        assert f",{name}," not in text


def test_csv_export_refuses_observers_and_anonymous(world, client):
    assert client.get("/exports/reports.csv").status_code in (302, 401, 403)
    client.force_login(world.observer.user)
    assert client.get("/exports/reports.csv").status_code == 403


def test_export_command_writes_the_same_csv(world, filed, tmp_path):
    from django.core.management import call_command

    report = filed(world.observer)
    target = tmp_path / "out.csv"
    call_command("export_reports", "--election", world.election.code, "--output", str(target))
    rows = _csv_rows(target.read_text(encoding="utf-8"))
    assert [r["report_id"] for r in rows] == [str(report.pk)]


def test_web_form_files_through_the_same_service(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.observer.user)
    assert client.get("/reports/new/").status_code == 200
    data = {
        "client_uuid": "6c1d1d4e-4b1a-4f1e-9a57-000000000001",
        "election": world.election.code,
        "station": world.station.code,
        "category": "group_voting",
        "occurred_at": "2021-01-10T10:15",
        "description": "Family voting in booth 3",
        "latitude": "43.2527",
        "longitude": "76.9118",
        "accuracy_m": "15",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/new/", data)
    assert response.status_code == 302
    report = IncidentReport.objects.get(client_uuid=data["client_uuid"])
    assert report.occurred_at.isoformat() == "2021-01-10T04:15:00+00:00"  # 10:15 at the Almaty station
    assert report.state == "accepted"
    page = client.get("/reports/").content.decode()
    assert report.station.code in page and report.category.name in page
