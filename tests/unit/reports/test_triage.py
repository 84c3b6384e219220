"""The triage services: permission for every transition and persona, the
workflow table, the optimistic lock, and the audit events they write."""

import pytest
from django.core.exceptions import PermissionDenied

from reports.models import Flag, IncidentReport, ReportEvent, TriageStatus
from reports.permissions import user_public_label
from reports.services.pipeline import report_reprocess
from reports.services.triage import (
    TRIAGE_TRANSITIONS,
    TriageConflict,
    TriageInputError,
    flag_decide,
    report_add_note,
    report_assign,
    report_decide,
)
from tests.filing import file_report

PERSONAS_WITHOUT_TRIAGE = ["observer", "auditor", "platform_auditor", "other_coordinator", "other_observer"]
ALL_MOVES = [(a, b) for a, targets in TRIAGE_TRANSITIONS.items() for b in targets]


def at_status(report, status):
    IncidentReport.objects.filter(pk=report.pk).update(triage_status=status)
    report.refresh_from_db()
    return report


@pytest.fixture
def report(world):
    return file_report(world)


def test_coordinators_and_superusers_make_every_allowed_move(world, report):
    for start, target in ALL_MOVES:
        for actor in (world.coordinator.user, world.superuser):
            at_status(report, start)
            version = report.triage_version
            decided = report_decide(report_id=report.pk, actor=actor, status=target, note="n", expected_version=version)
            assert (start, decided.triage_status) == (start, target)
            assert decided.triage_version > version


@pytest.mark.parametrize("persona", PERSONAS_WITHOUT_TRIAGE)
def test_nobody_else_makes_any_move(world, report, persona):
    for start, target in ALL_MOVES:
        at_status(report, start)
        with pytest.raises(PermissionDenied):
            report_decide(report_id=report.pk, actor=getattr(world, persona).user, status=target)
        assert IncidentReport.objects.get(pk=report.pk).triage_status == start


def test_moves_outside_the_workflow_are_refused(world, report):
    refused = [(a, b) for a in TriageStatus.values for b in TriageStatus.values if a != b and b not in TRIAGE_TRANSITIONS[a]]
    assert refused  # e.g. new → resolved, dismissed → verified
    for start, target in refused:
        at_status(report, start)
        with pytest.raises(TriageConflict):
            report_decide(report_id=report.pk, actor=world.coordinator.user, status=target)


def test_a_coordinator_without_the_role_permission_cannot_triage(world, report):
    user = world.coordinator.user
    user.groups.clear()
    user = type(user).objects.get(pk=user.pk)  # drop the permission cache
    with pytest.raises(PermissionDenied):
        report_decide(report_id=report.pk, actor=user, status="verified")


def test_inactive_users_cannot_triage(world, report):
    world.coordinator.user.is_active = False
    world.coordinator.user.save()
    with pytest.raises(PermissionDenied):
        report_decide(report_id=report.pk, actor=world.coordinator.user, status="verified")


def test_the_optimistic_lock_refuses_a_stale_version(world, report):
    version = report.triage_version
    report_decide(report_id=report.pk, actor=world.coordinator.user, status="under_review", expected_version=version)
    with pytest.raises(TriageConflict):
        report_decide(report_id=report.pk, actor=world.superuser, status="dismissed", expected_version=version)
    assert IncidentReport.objects.get(pk=report.pk).triage_status == "under_review"


def test_each_decision_writes_actor_time_and_note(world, report):
    report_decide(report_id=report.pk, actor=world.coordinator.user, status="verified", note="photo shows it")
    event = ReportEvent.objects.get(report=report, action="triage")
    assert (event.actor_id, event.from_value, event.to_value, event.note) == (
        world.coordinator.user_id,
        "new",
        "verified",
        "photo shows it",
    )
    report.refresh_from_db()
    assert report.decided_by_id == world.coordinator.user_id and report.decided_at == event.at


def test_assignment_is_limited_to_the_reports_coordinators(world, report):
    with pytest.raises(TriageInputError):
        report_assign(report_id=report.pk, actor=world.coordinator.user, assignee=world.other_coordinator.user)
    with pytest.raises(TriageInputError):
        report_assign(report_id=report.pk, actor=world.coordinator.user, assignee=world.auditor.user)
    with pytest.raises(PermissionDenied):
        report_assign(report_id=report.pk, actor=world.auditor.user, assignee=world.coordinator.user)
    report_assign(report_id=report.pk, actor=world.superuser, assignee=world.coordinator.user)
    event = ReportEvent.objects.get(report=report, action="assigned")
    assert event.to_value == world.coordinator.public_code  # a public code, never a name


def test_flag_decisions_check_permission_and_notes(world):
    report = file_report(world, gps=None)
    flag = report.flags.get(code="no_location")
    with pytest.raises(PermissionDenied):
        flag_decide(flag_id=flag.pk, actor=world.auditor.user, decision="confirm")
    with pytest.raises(TriageInputError):
        flag_decide(flag_id=flag.pk, actor=world.coordinator.user, decision="clear")
    flag_decide(flag_id=flag.pk, actor=world.coordinator.user, decision="clear", note="indoor, no GPS")
    flag_decide(flag_id=flag.pk, actor=world.coordinator.user, decision="reopen", note="")
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN and flag.decided_by is None


def test_flag_decisions_survive_a_pipeline_rerun(world):
    report = file_report(world, gps=None)
    flag = report.flags.get(code="no_location")
    flag_decide(flag_id=flag.pk, actor=world.coordinator.user, decision="confirm")
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    assert Flag.objects.get(pk=flag.pk).state == "confirmed"
    assert ReportEvent.objects.filter(report=report, action="reprocessed", actor=world.coordinator.user).exists()


def test_flag_decisions_recompute_the_risk_score(world):
    report = file_report(world, gps=None)
    flag = report.flags.get(code="no_location")  # low: 10 points
    before = report.risk_score
    assert before == 30 + sum(10 * {"low": 1, "medium": 2, "high": 3}[f.severity] for f in report.flags.all())

    def decide(decision, note=""):
        flag_decide(flag_id=flag.pk, actor=world.coordinator.user, decision=decision, note=note)
        report.refresh_from_db()
        return report.risk_score

    assert decide("clear", "indoor polling station, no GPS inside") == before - 10
    assert decide("reopen") == before
    assert decide("confirm") == before
    assert decide("clear", "indoor after all") == before - 10
    assert decide("confirm") == before


def test_notes_cannot_be_empty_and_need_triage_rights(world, report):
    with pytest.raises(TriageInputError):
        report_add_note(report_id=report.pk, actor=world.coordinator.user, note="   ")
    with pytest.raises(PermissionDenied):
        report_add_note(report_id=report.pk, actor=world.other_coordinator.user, note="hello")
    with pytest.raises(PermissionDenied):
        report_reprocess(report_id=report.pk, actor=world.auditor.user)


def test_public_labels_never_use_names(world):
    user = world.coordinator.user
    user.first_name, user.last_name = "Aigerim", "Nurlanova"
    assert user_public_label(user) == world.coordinator.public_code
    assert user_public_label(world.superuser) == f"USER-{world.superuser.pk}"
