"""Shared reads of reports, always scoped to what the user may see:

- superusers and platform auditors (no organization): every report;
- coordinators and auditors: their organization's reports;
- observers: the reports they filed themselves;
- anyone else: nothing.
"""

from django.db.models import Prefetch, Q, QuerySet

from monitoring.models import Observer

from .models import ExportRecord, Flag, IncidentReport

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
