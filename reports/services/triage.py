"""Triage by coordinators: moves along the workflow, each recorded as a
ReportEvent with actor, time and note; permission-checked and safe against two
coordinators editing the same report."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from monitoring.models import Observer

from ..models import IncidentReport, ReportEvent, TriageStatus

# Which triage transitions a coordinator may make.
TRIAGE_TRANSITIONS = {
    TriageStatus.NEW: {TriageStatus.UNDER_REVIEW, TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED},
    TriageStatus.UNDER_REVIEW: {TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED},
    TriageStatus.VERIFIED: {TriageStatus.ESCALATED, TriageStatus.RESOLVED, TriageStatus.UNDER_REVIEW},
    TriageStatus.DISMISSED: {TriageStatus.UNDER_REVIEW},
    TriageStatus.ESCALATED: {TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.RESOLVED},
    TriageStatus.RESOLVED: {TriageStatus.UNDER_REVIEW},
}


class TriageConflict(Exception):
    """The report changed since the coordinator loaded it, or the transition is not allowed."""


def can_triage(*, user, report: IncidentReport) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    observer = getattr(user, "observer", None)
    return bool(observer is not None and observer.role == Observer.Role.COORDINATOR and observer.organization_id == report.organization_id)


def set_triage_status(report: IncidentReport, status: str, *, actor, note: str, at: dt.datetime) -> None:
    previous = report.triage_status
    report.triage_status = status
    report.triage_version += 1
    update = ["triage_status", "triage_version", "updated_at"]
    if actor is not None and status in (TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED, TriageStatus.RESOLVED):
        report.decided_by, report.decided_at = actor, at
        update += ["decided_by", "decided_at"]
    report.save(update_fields=update)
    ReportEvent.objects.create(
        report=report, actor=actor, at=at, action=ReportEvent.Action.TRIAGE, from_value=previous, to_value=status, note=note
    )


def report_decide(*, report_id, actor, status: str, note: str = "", expected_version: int | None = None) -> IncidentReport:
    """Move a report along the triage workflow. Raises PermissionDenied when the
    actor may not triage it, TriageConflict when the transition is not allowed
    or someone else changed the report since `expected_version`."""
    with transaction.atomic():
        report = IncidentReport.objects.select_for_update().get(pk=report_id)
        if not can_triage(user=actor, report=report):
            raise PermissionDenied("You may not triage this report.")
        if expected_version is not None and expected_version != report.triage_version:
            raise TriageConflict("The report was changed by someone else; reload it and try again.")
        if status == report.triage_status:
            return report
        if status not in TRIAGE_TRANSITIONS.get(report.triage_status, set()):
            raise TriageConflict(f"Cannot move a report from {report.triage_status} to {status}.")
        set_triage_status(report, status, actor=actor, note=note, at=timezone.now())
        return report
