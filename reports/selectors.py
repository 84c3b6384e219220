"""Shared reads of submissions, always scoped to what the user may see
(`reports.permissions.report_scope` says what that is): of every kind
(`submissions_visible_to`: the triage queue, a report's page), or of one kind
through its proxy (`reports_visible_to`: incident reports; `checkins_visible_to`; `checklists_visible_to`)."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from monitoring.localtime import shift_window
from monitoring.models import Deployment, Election, Observer, PollingStation
from monitoring.selectors import deployments_of
from monitoring.shortlived import ShortLived

from .models import (
    Attachment,
    CheckIn,
    CheckInKind,
    Checklist,
    Checkpoint,
    ExportRecord,
    Flag,
    IncidentCategory,
    IncidentReport,
    ReportEvent,
    Submission,
)
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


_categories = ShortLived(lambda code: IncidentCategory.objects.filter(code=code, is_active=True).first())


def active_category_by_code(code: str) -> IncidentCategory | None:
    """The active incident category of `code`, as read at most a few seconds
    ago in this process (`monitoring.shortlived`): intake's look-up."""
    return _categories.get(code)


def categories_forget() -> None:
    _categories.forget()


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


def checklists_visible_to(user) -> QuerySet[Checklist]:
    return _scoped(Checklist.objects.all(), user)


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
    coordinators: list  # users the report can be assigned to (assignable_users)


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
    return ReportDetail(
        report=report,
        flags=flags,
        photos=list(report.attachments.all()),
        events=list(report.events.all()),
        related=related,
        amendments=amendments,
        coordinators=list(assignable_users(organization_id=report.organization_id)),
    )


# --- The observer's check-ins -------------------------------------------------------------


@dataclass(frozen=True)
class CheckInState:
    """Where the plan puts the observer now, and their last check-in there."""

    election: Election
    station: PollingStation
    last_kind: str | None  # models.CheckInKind, None: no check-in at this station yet
    last_at: dt.datetime | None
    shift_start: dt.datetime | None  # the plan's shift at this station (None: no shift known)
    shift_end: dt.datetime | None

    @property
    def present(self) -> bool:
        """Arrived and not left."""
        return self.last_kind in (CheckInKind.ARRIVED, CheckInKind.ALL_QUIET)


def _shift(deployment: Deployment, election: Election) -> tuple[dt.datetime | None, dt.datetime | None]:
    if deployment.shift_start is None:
        return None, None
    zone = deployment.station.district.region.timezone
    return shift_window(election.voting_day, deployment.shift_start, deployment.shift_end, zone)


def checkin_state(*, observer: Observer, election: Election, now: dt.datetime) -> CheckInState | None:
    """The station of the plan the observer is at, or is due at, with their
    last check-in there; None when the plan posts them to no station. The
    station they arrived at and have not left wins; then the one whose shift
    covers `now`, the next shift to start, and the primary station. Two queries."""
    deployments = [d for d in deployments_of(observer=observer, election=election) if d.station_id]
    if not deployments:
        return None
    last: dict = {}
    for station_id, kind, at in (
        CheckIn.objects.filter(submitted_by=observer, election=election, station_id__in=[d.station_id for d in deployments])
        .order_by("-occurred_at", "-received_at")
        .values_list("station_id", "checkin_kind", "occurred_at")
    ):
        last.setdefault(station_id, (kind, at))
    shifts = {d.pk: _shift(d, election) for d in deployments}
    present = [d for d in deployments if last.get(d.station_id, (None,))[0] in (CheckInKind.ARRIVED, CheckInKind.ALL_QUIET)]
    covering = [d for d in deployments if shifts[d.pk][0] is not None and shifts[d.pk][0] <= now < shifts[d.pk][1]]
    upcoming = sorted((d for d in deployments if shifts[d.pk][0] is not None and now < shifts[d.pk][0]), key=lambda d: shifts[d.pk][0])
    if present:
        chosen = max(present, key=lambda d: last[d.station_id][1])
    else:
        chosen = (covering or upcoming or deployments)[0]
    kind, at = last.get(chosen.station_id, (None, None))
    start, end = shifts[chosen.pk]
    return CheckInState(election=election, station=chosen.station, last_kind=kind, last_at=at, shift_start=start, shift_end=end)


def assignable_users(*, organization_id) -> QuerySet:
    """Who a report of this organization can be assigned to: the organization's
    active coordinators and the platform's active superusers (both may triage it)."""
    coordinator = Q(observer__organization_id=organization_id, observer__role=Observer.Role.COORDINATOR)
    return get_user_model().objects.filter(coordinator | Q(is_superuser=True), is_active=True).order_by("username")


def checkpoints_visible_to(user):
    """The signed checkpoints of the chains of the organizations `user` sees
    (every organization's for superusers and platform auditors). Only for
    those who may export (coordinators, auditors); nothing for anyone else."""
    if not may_export(user):
        return Checkpoint.objects.none()
    scope = report_scope(user)
    qs = Checkpoint.objects.select_related("election")
    return qs if scope is None else qs.filter(scope)
