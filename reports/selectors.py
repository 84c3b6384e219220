"""Shared reads of submissions, always scoped to what the user may see
(`reports.permissions.report_scope` says what that is): of every kind
(`submissions_visible_to`: the triage queue, a report's page), or of one kind
through its proxy (`reports_visible_to`: incident reports; `checkins_visible_to`)."""

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from monitoring.models import Observer

from .models import Attachment, CheckIn, ExportRecord, Flag, IncidentReport, ReportEvent, Submission
from .permissions import may_export, report_scope

REPORT_RELATED = (
    "election",
    "station__district__region",
    "category",
    "submitted_by",
    "organization",
    "geo_region",
    "geo_district",
    "nearest_station",
)


def _scoped(qs: QuerySet, user) -> QuerySet:
    scope = report_scope(user)
    return qs if scope is None else qs.filter(scope)


def submissions_visible_to(user) -> QuerySet[Submission]:
    """Every kind."""
    return _scoped(Submission.objects.all(), user)


def reports_visible_to(user) -> QuerySet[IncidentReport]:
    """Incident reports only."""
    return _scoped(IncidentReport.objects.all(), user)


def checkins_visible_to(user) -> QuerySet[CheckIn]:
    return _scoped(CheckIn.objects.all(), user)


def reports_with_details(qs: QuerySet[Submission]) -> QuerySet[Submission]:
    return qs.select_related(*REPORT_RELATED).prefetch_related(Prefetch("flags", queryset=Flag.objects.order_by("code")), "attachments")


def export_records_visible_to(user) -> QuerySet[ExportRecord]:
    """Export records of the user's own organization (superusers and platform
    auditors: all): who downloaded what is as private as the reports themselves."""
    qs = ExportRecord.objects.all()
    if not may_export(user):
        return qs.none()
    observer = getattr(user, "observer", None)
    if user.is_superuser or observer.organization_id is None:
        return qs
    return qs.filter(requested_by__observer__organization_id=observer.organization_id)


# --- The triage console's report page --------------------------------------------------


@dataclass
class ReportDetail:
    report: Submission
    flags: list[Flag]
    photos: list[Attachment]
    events: list[ReportEvent]
    # Submissions this one's flags point at (duplicates, same hot spot, the
    # other end of an impossible travel), that the user may see.
    related: list[tuple[Flag, list[Submission]]]
    amendments: list[Submission]
    coordinators: list  # users the report can be assigned to


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def report_detail(*, user, report_id) -> ReportDetail | None:
    """Everything the page of a submission (of any kind) shows, in a fixed number of queries."""
    report = (
        submissions_visible_to(user)
        .select_related(*REPORT_RELATED, "assignee__observer", "decided_by__observer", "amends__station")
        .prefetch_related(
            Prefetch("flags", queryset=Flag.objects.select_related("decided_by__observer").order_by("code")),
            Prefetch("attachments", queryset=Attachment.objects.order_by("position")),
            Prefetch("events", queryset=ReportEvent.objects.select_related("actor__observer").order_by("at", "id")),
        )
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return None
    flags = list(report.flags.all())
    wanted = {}
    for flag in flags:
        ids = (flag.params or {}).get("related_reports") or []
        wanted[flag.pk] = [u for u in (_uuid_or_none(i) for i in ids if i) if u is not None and u != report.pk]
    all_ids = {u for ids in wanted.values() for u in ids}
    visible = (
        {r.pk: r for r in submissions_visible_to(user).filter(pk__in=all_ids).select_related("station", "category")} if all_ids else {}
    )
    related = [(flag, [visible[u] for u in wanted[flag.pk] if u in visible]) for flag in flags if wanted.get(flag.pk)]
    amendments = list(submissions_visible_to(user).filter(amends=report).select_related("station", "category").order_by("received_at"))
    coordinators = [
        o.user
        for o in Observer.objects.filter(
            organization_id=report.organization_id, role=Observer.Role.COORDINATOR, user__is_active=True
        ).select_related("user")
    ]
    return ReportDetail(
        report=report,
        flags=flags,
        photos=list(report.attachments.all()),
        events=list(report.events.all()),
        related=related,
        amendments=amendments,
        coordinators=coordinators,
    )
