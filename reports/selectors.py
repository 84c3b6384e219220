"""Shared reads of reports, always scoped to what the user may see:

- superusers and platform auditors (no organization): every report;
- coordinators and auditors: their organization's reports;
- observers: the reports they filed themselves;
- anyone else: nothing.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from monitoring.models import Observer

from . import rules
from .models import Attachment, ExportRecord, Flag, IncidentReport, ReportEvent, ReportState

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


# Who may file reports at all (intake's SUBMITTING_ROLES; a test keeps them equal).
# Intake still checks the organization's accreditation.
FILING_ROLES = frozenset({Observer.Role.OBSERVER, Observer.Role.COORDINATOR})


def may_file_reports(observer: Observer | None) -> bool:
    return observer is not None and observer.organization_id is not None and observer.role in FILING_ROLES


def report_scope(user) -> Q | None:
    """The filter for `user`'s visible reports, or None for all of them."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    observer = getattr(user, "observer", None)
    if observer is None:
        return Q(pk__in=[])
    if observer.role == Observer.Role.OBSERVER:
        return Q(submitted_by_id=observer.pk)
    if observer.organization_id is None:
        return None if observer.role == Observer.Role.AUDITOR else Q(pk__in=[])
    return Q(organization_id=observer.organization_id)


def reports_visible_to(user) -> QuerySet[IncidentReport]:
    qs = IncidentReport.objects.all()
    scope = report_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    return qs


def reports_with_details(qs: QuerySet[IncidentReport]) -> QuerySet[IncidentReport]:
    return qs.select_related(*REPORT_RELATED).prefetch_related(Prefetch("flags", queryset=Flag.objects.order_by("code")), "attachments")


def can_export(user) -> bool:
    """Coordinators and auditors export their organization's reports; superusers and
    platform auditors everything. Observers never export."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    observer = getattr(user, "observer", None)
    return observer is not None and observer.role in (Observer.Role.COORDINATOR, Observer.Role.AUDITOR)


def export_records_visible_to(user) -> QuerySet[ExportRecord]:
    """Export records of the user's own organization (superusers and platform
    auditors: all): who downloaded what is as private as the reports themselves."""
    qs = ExportRecord.objects.all()
    if not can_export(user):
        return qs.none()
    observer = getattr(user, "observer", None)
    if user.is_superuser or observer.organization_id is None:
        return qs
    return qs.filter(requested_by__observer__organization_id=observer.organization_id)


# --- Risk ----------------------------------------------------------------------------
# Not scoped to a user: the pipeline and triage services call these to store the
# score, under their own locks.


def risk_scores(*, severities: Mapping) -> dict:
    """{report pk: report severity} of accepted reports → {report pk: risk}, from
    the flags stored for them now, leaving out the ones a coordinator cleared
    (`rules.risk_score` is the formula). One query."""
    flags: dict = {pk: [] for pk in severities}
    for flag in Flag.objects.filter(report_id__in=list(severities)).exclude(state=Flag.State.CLEARED).only("report_id", "severity"):
        flags[flag.report_id].append(flag)
    return {pk: rules.risk_score(severity=severity, flags=flags[pk]) for pk, severity in severities.items()}


def report_risk_score(report: IncidentReport) -> int:
    """The risk to store on `report` given its (possibly unsaved) state and its
    stored flags: 0 unless accepted, so a rejected report never climbs the queue
    because of a flag decision kept from when it was accepted."""
    if report.state != ReportState.ACCEPTED:
        return 0
    return risk_scores(severities={report.pk: report.severity})[report.pk]


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
    coordinators: list  # users the report can be assigned to


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
