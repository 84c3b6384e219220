"""Triage by coordinators: moves along the workflow, assignment, flag decisions
and notes (re-running the pipeline is `pipeline.report_reprocess`). Each write
is permission-checked per report (reports.permissions), runs under the
report's row lock, and leaves a ReportEvent with actor, time and note.

Concurrency: every triage write bumps `Submission.triage_version`. Callers
that showed the coordinator a version pass it back as `expected_version`; if
someone else changed the report meanwhile the write is refused with
TriageConflict instead of silently overwriting their decision.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ..models import Flag, ReportEvent, Submission, TriageStatus
from ..permissions import may_decide_flags, may_triage, user_public_label
from ..writes import event_record, report_risk_score, triage_status_set
from .bulk import BulkOutcome, each_report

# Which triage transitions a coordinator may make.
TRIAGE_TRANSITIONS = {
    TriageStatus.NEW: {TriageStatus.UNDER_REVIEW, TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED},
    TriageStatus.UNDER_REVIEW: {TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED},
    TriageStatus.VERIFIED: {TriageStatus.ESCALATED, TriageStatus.RESOLVED, TriageStatus.UNDER_REVIEW},
    TriageStatus.DISMISSED: {TriageStatus.UNDER_REVIEW},
    TriageStatus.ESCALATED: {TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.RESOLVED},
    TriageStatus.RESOLVED: {TriageStatus.UNDER_REVIEW},
}
MAX_NOTE = 2000


class TriageConflict(Exception):
    """The report changed since the coordinator loaded it, or the transition is not allowed."""


class TriageInputError(ValueError):
    """The request itself is incomplete (e.g. clearing a flag without a note)."""


# One answer for an assignee who does not exist, is inactive, or may not triage
# the report: telling them apart would confirm which user ids exist and who
# coordinates which organization.
ASSIGNEE_REFUSED = "The assignee must be an active coordinator of the report's organization or a platform administrator."


def _clean_note(note: str) -> str:
    if "\x00" in (note or ""):  # PostgreSQL refuses NUL in text; a form field would too
        raise TriageInputError("The note holds a NUL character.")
    return (note or "").strip()[:MAX_NOTE]


def _lock(report_id, *, actor, expected_version: int | None, allowed: Callable = may_triage) -> Submission:
    """The report, locked for this transaction, after the permission and version checks."""
    report = Submission.objects.select_for_update().get(pk=report_id)
    if not allowed(user=actor, report=report):
        raise PermissionDenied("You may not triage this report.")
    if expected_version is not None and expected_version != report.triage_version:
        raise TriageConflict("The report was changed by someone else meanwhile; reload it and try again.")
    return report


def _set_assignee(report: Submission, assignee, *, actor, note: str, at: dt.datetime) -> None:
    previous = report.assignee
    report.assignee = assignee
    report.triage_version += 1
    report.save(update_fields=["assignee", "triage_version", "updated_at"])
    event_record(
        report,
        actor=actor,
        at=at,
        action=ReportEvent.Action.ASSIGNED,
        from_value=user_public_label(previous),
        to_value=user_public_label(assignee),
        note=note,
    )


def report_decide(*, report_id, actor, status: str, note: str = "", expected_version: int | None = None) -> Submission:
    """Move a report along the triage workflow. Raises PermissionDenied when the
    actor may not triage it, TriageConflict when the transition is not allowed
    or someone else changed the report since `expected_version`. Starting a
    review of an unassigned report assigns it to the reviewer."""
    if status not in TriageStatus.values:
        raise TriageInputError(f"unknown triage status {status!r}")
    with transaction.atomic():
        report = _lock(report_id, actor=actor, expected_version=expected_version)
        if status == report.triage_status:
            return report
        if status not in TRIAGE_TRANSITIONS.get(report.triage_status, set()):
            raise TriageConflict(f"Cannot move a report from {report.triage_status} to {status}.")
        now = timezone.now()
        triage_status_set(report, status, actor=actor, note=_clean_note(note), at=now)
        if status == TriageStatus.UNDER_REVIEW and report.assignee_id is None:
            _set_assignee(report, actor, actor=actor, note="assigned on starting the review", at=now)
        return report


def report_assign(*, report_id, actor, assignee, note: str = "", expected_version: int | None = None) -> Submission:
    """Assign the report to a coordinator who may triage it (None unassigns)."""
    with transaction.atomic():
        report = _lock(report_id, actor=actor, expected_version=expected_version)
        if assignee is not None and not may_triage(user=assignee, report=report):
            raise TriageInputError(ASSIGNEE_REFUSED)
        if (assignee.pk if assignee else None) == report.assignee_id:
            return report
        _set_assignee(report, assignee, actor=actor, note=_clean_note(note), at=timezone.now())
        return report


def report_add_note(*, report_id, actor, note: str) -> ReportEvent:
    """Append a note to the audit trail (no state changes, so no version check)."""
    note = _clean_note(note)
    if not note:
        raise TriageInputError("A note cannot be empty.")
    with transaction.atomic():
        report = _lock(report_id, actor=actor, expected_version=None)
        return event_record(report, actor=actor, at=timezone.now(), action=ReportEvent.Action.NOTE, note=note)


FLAG_DECISIONS = {"confirm": Flag.State.CONFIRMED, "clear": Flag.State.CLEARED, "reopen": Flag.State.OPEN}


def flag_decide(*, flag_id, actor, decision: str, note: str = "", expected_version: int | None = None) -> Flag:
    """Confirm or clear a flag (or reopen it). Clearing says the rule was wrong
    about this report, so it needs a note, and takes the flag out of the
    report's risk score (reopening puts it back). The flag keeps its
    explanation; the pipeline keeps the decision when it re-runs."""
    if decision not in FLAG_DECISIONS:
        raise TriageInputError(f"unknown flag decision {decision!r}")
    note = _clean_note(note)
    if decision == "clear" and not note:
        raise TriageInputError("Clearing a flag needs a note saying why.")
    report_id = Flag.objects.filter(pk=flag_id).values_list("report_id", flat=True).first()
    if report_id is None:
        raise Flag.DoesNotExist(flag_id)
    with transaction.atomic():
        report = _lock(report_id, actor=actor, expected_version=expected_version, allowed=may_decide_flags)
        flag = Flag.objects.select_for_update().get(pk=flag_id)
        target = FLAG_DECISIONS[decision]
        if flag.state == target:
            return flag
        now = timezone.now()
        previous = flag.state
        flag.state, flag.note = target, note
        flag.decided_by, flag.decided_at = (None, None) if target == Flag.State.OPEN else (actor, now)
        flag.save(update_fields=["state", "note", "decided_by", "decided_at", "updated_at"])
        report.triage_version += 1
        report.risk_score = report_risk_score(report)
        report.save(update_fields=["triage_version", "risk_score", "updated_at"])
        action = {
            Flag.State.CONFIRMED: ReportEvent.Action.FLAG_CONFIRMED,
            Flag.State.CLEARED: ReportEvent.Action.FLAG_CLEARED,
            Flag.State.OPEN: ReportEvent.Action.NOTE,
        }[target]
        event_record(
            report, actor=actor, at=now, action=action, from_value=f"{flag.code}:{previous}", to_value=f"{flag.code}:{target}", note=note
        )
        return flag


# --- Bulk (admin actions) -----------------------------------------------------------


def reports_decide(*, report_ids: Iterable, actor, status: str, note: str = "", expected_versions=None) -> BulkOutcome:
    def apply(report_id, expected):
        before = Submission.objects.filter(pk=report_id).values_list("triage_version", flat=True).first()
        report = report_decide(report_id=report_id, actor=actor, status=status, note=note, expected_version=expected)
        return report.triage_version != before

    return each_report(report_ids, apply, expected_versions=expected_versions, refusals=(TriageConflict, TriageInputError))


def reports_assign(*, report_ids: Iterable, actor, assignee, note: str = "", expected_versions=None) -> BulkOutcome:
    def apply(report_id, expected):
        before = Submission.objects.filter(pk=report_id).values_list("triage_version", flat=True).first()
        report = report_assign(report_id=report_id, actor=actor, assignee=assignee, note=note, expected_version=expected)
        return report.triage_version != before

    return each_report(report_ids, apply, expected_versions=expected_versions, refusals=(TriageConflict, TriageInputError))
