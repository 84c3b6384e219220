"""Shared reads of reports, always scoped to what the user may see
(`reports.permissions.report_scope` says what that is)."""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from monitoring.models import Observer

from .models import Attachment, ExportRecord, Flag, IncidentReport, ReportEvent
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


def reports_visible_to(user) -> QuerySet[IncidentReport]:
    qs = IncidentReport.objects.all()
    scope = report_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    return qs


def reports_with_details(qs: QuerySet[IncidentReport]) -> QuerySet[IncidentReport]:
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
    report: IncidentReport
    flags: list[Flag]
    photos: list[Attachment]
    events: list[ReportEvent]
    # Reports this one's flags point at (duplicates, same hot spot), that the user may see.
    related: list[tuple[Flag, list[IncidentReport]]]
    amendments: list[IncidentReport]
    coordinators: list  # users the report can be assigned to (assignable_users)


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def report_detail(*, user, report_id) -> ReportDetail | None:
    """Everything the report page shows, in a fixed number of queries."""
    report = (
        reports_visible_to(user)
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
    visible = {r.pk: r for r in reports_visible_to(user).filter(pk__in=all_ids).select_related("station", "category")} if all_ids else {}
    related = [(flag, [visible[u] for u in wanted[flag.pk] if u in visible]) for flag in flags if wanted.get(flag.pk)]
    amendments = list(reports_visible_to(user).filter(amends=report).select_related("station", "category").order_by("received_at"))
    return ReportDetail(
        report=report,
        flags=flags,
        photos=list(report.attachments.all()),
        events=list(report.events.all()),
        related=related,
        amendments=amendments,
        coordinators=list(assignable_users(organization_id=report.organization_id)),
    )


def assignable_users(*, organization_id) -> QuerySet:
    """Who a report of this organization can be assigned to: the organization's
    active coordinators and the platform's active superusers (both may triage it)."""
    coordinator = Q(observer__organization_id=organization_id, observer__role=Observer.Role.COORDINATOR)
    return get_user_model().objects.filter(coordinator | Q(is_superuser=True), is_active=True).order_by("username")
