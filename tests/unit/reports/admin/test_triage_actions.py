"""Bulk actions of the triage queue, through the test client: each action, who
may run it, and that a coordinator never silently overwrites a colleague."""

import csv
import io

import pytest
from django.contrib.messages import get_messages

from reports.models import ExportRecord, IncidentReport, ReportEvent
from reports.services.triage import report_decide
from tests.conftest import HUGE, SUPERSCRIPT_TWO
from tests.filing import file_report

QUEUE = "/admin/reports/submission/"


@pytest.fixture
def reports(world):
    return [file_report(world, description=f"report {i}") for i in range(3)]


def act(client, action, reports, *, note="", versions=True, url=QUEUE, select_across=False):
    data = {"action": action, "_selected_action": [str(r.pk) for r in reports], "index": "0", "note": note}
    if select_across:
        data["select_across"] = "1"
    if versions:
        data.update({f"v-{r.pk}": str(r.triage_version) for r in reports})
    return client.post(url, data)


def messages_of(response) -> str:
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def refreshed(reports):
    fresh = IncidentReport.objects.in_bulk([r.pk for r in reports])
    return [fresh[r.pk] for r in reports]


@pytest.mark.parametrize(
    ("action", "status"),
    [("start_review", "under_review"), ("verify", "verified"), ("dismiss", "dismissed"), ("escalate", "escalated")],
)
def test_status_actions_move_each_report_and_leave_an_event(world, reports, admin_as, action, status):
    response = act(admin_as(world.coordinator), action, reports[:2], note="checked with the regional team")

    assert response.status_code == 302
    first, second, untouched = refreshed(reports)
    assert first.triage_status == second.triage_status == status
    assert untouched.triage_status == "new"
    events = ReportEvent.objects.filter(report__in=[first, second], action="triage")
    assert events.count() == 2
    assert {(e.actor_id, e.from_value, e.to_value, e.note) for e in events} == {
        (world.coordinator.user_id, "new", status, "checked with the regional team")
    }
    if status != "under_review":
        assert first.decided_by_id == world.coordinator.user_id and first.decided_at is not None
    else:
        assert first.assignee_id == world.coordinator.user_id  # starting a review takes the report


def test_resolve_follows_a_decision(world, reports, admin_as):
    client = admin_as(world.coordinator)
    act(client, "escalate", reports[:1])
    response = act(client, "resolve", refreshed(reports[:1]))
    assert refreshed(reports[:1])[0].triage_status == "resolved"
    assert "1 report(s) resolved" in messages_of(response)


def test_a_step_the_workflow_does_not_allow_is_refused(world, reports, admin_as):
    client = admin_as(world.coordinator)
    response = act(client, "resolve", reports[:1])  # new → resolved skips the decision
    assert refreshed(reports[:1])[0].triage_status == "new"
    assert "were not changed" in messages_of(response)


def test_assign_to_me_and_unassign(world, reports, admin_as):
    client = admin_as(world.coordinator)
    act(client, "assign_to_me", reports)
    assert {r.assignee_id for r in refreshed(reports)} == {world.coordinator.user_id}
    event = ReportEvent.objects.filter(report=reports[0], action="assigned").get()
    assert (event.from_value, event.to_value) == ("", world.coordinator.public_code)

    act(client, "unassign", refreshed(reports))
    assert {r.assignee_id for r in refreshed(reports)} == {None}


def test_rerun_pipeline_records_who_asked(world, reports, admin_as):
    response = act(admin_as(world.coordinator), "rerun_pipeline", reports[:2])
    assert "Pipeline re-run on 2 report(s)" in messages_of(response)
    events = ReportEvent.objects.filter(action="reprocessed")
    assert {e.report_id for e in events} == {reports[0].pk, reports[1].pk}
    assert {e.actor_id for e in events} == {world.coordinator.user_id}


def test_a_colleagues_change_is_not_silently_overwritten(world, reports, admin_as):
    """Coordinator A loaded the queue (versions in the form); B dismissed a report
    since. A's bulk verify changes the others and refuses that one."""
    seen = refreshed(reports)
    report_decide(report_id=reports[0].pk, actor=world.superuser, status="dismissed", note="duplicate of an earlier report")

    response = act(admin_as(world.coordinator), "escalate", seen)

    first, second, third = refreshed(reports)
    assert first.triage_status == "dismissed"  # B's decision stands
    assert second.triage_status == third.triage_status == "escalated"
    assert "1 report(s) were not changed: someone else changed them meanwhile" in messages_of(response)


def test_auditors_cannot_run_triage_actions(world, reports, admin_as):
    response = act(admin_as(world.auditor), "verify", reports)
    assert "No action selected" in messages_of(response)  # not one of theirs
    assert {r.triage_status for r in refreshed(reports)} == {"new"}
    assert not ReportEvent.objects.filter(action="triage").exists()


def test_a_coordinator_cannot_act_on_another_organizations_reports(world, reports, admin_as):
    act(admin_as(world.other_coordinator), "verify", reports)
    assert {r.triage_status for r in refreshed(reports)} == {"new"}
    assert not ReportEvent.objects.filter(action="triage").exists()


def test_superusers_may_triage_any_organization(world, reports, admin_as):
    theirs = file_report(world, observer=world.other_observer)
    act(admin_as(world.superuser), "verify", [*reports, theirs])
    assert {r.triage_status for r in refreshed([*reports, theirs])} == {"verified"}


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    return [row for row in csv.DictReader(io.StringIO(body)) if not row["report_id"].startswith("#")]


def test_export_action_exports_the_selection(world, reports, admin_as):
    response = act(admin_as(world.auditor), "export_csv", reports[:2], versions=False)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert {r["report_id"] for r in _csv_rows(response)} == {str(reports[0].pk), str(reports[1].pk)}
    record = ExportRecord.objects.get()
    assert record.source == "admin" and record.requested_by_id == world.auditor.user_id
    assert sorted(record.filters["ids"]) == sorted([str(reports[0].pk), str(reports[1].pk)])
    assert record.row_count == 2 and len(record.rows_sha256) == 64


def test_export_action_across_pages_exports_the_current_filter(world, reports, admin_as):
    escalated = file_report(world, category="ballot_stuffing")
    response = act(
        admin_as(world.coordinator), "export_csv", [escalated], versions=False, url=f"{QUEUE}?triage_status=escalated", select_across=True
    )

    assert [r["report_id"] for r in _csv_rows(response)] == [str(escalated.pk)]
    assert ExportRecord.objects.get().filters["triage_status"] == "escalated"


@pytest.mark.parametrize("version", [SUPERSCRIPT_TWO, HUGE])
def test_bulk_action_ignores_an_odd_version_without_a_500(world, admin_as, version):
    report = file_report(world)
    data = {"action": "start_review", "_selected_action": [str(report.pk)], "index": "0", "note": "", f"v-{report.pk}": version}
    assert admin_as(world.coordinator).post(QUEUE, data).status_code == 302
    report.refresh_from_db()
    # A version that is no version is no proof of what the coordinator saw: as if absent.
    assert report.triage_status == "under_review"
