"""The reads alerts need: what a report's alert says, who hears of an event,
and which observers have lapsed (silent or missing) at a clock time."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Max, Q

from monitoring.localtime import shift_window
from monitoring.models import Deployment, Election, Observer
from reports.models import CheckIn, CheckInKind, Flag, ReportState, Severity, Submission

from .models import AlertKind


@dataclass(frozen=True)
class EventFacts:
    kind: str
    key: str
    organization_id: int
    election_id: int
    region_id: int | None
    station_id: int | None
    observer_id: int | None
    submission_id: object
    occurred_at: dt.datetime
    payload: dict


def report_alert_facts(*, report_id) -> EventFacts | None:
    """The alert a processed report raises, if any: `critical_report` when it
    was accepted in a critical category or with a critical flag (not cleared),
    `pipeline_failed` when the pipeline gave up on it. Two queries."""
    report = (
        Submission.objects.filter(pk=report_id)
        .select_related("election", "station__district__region", "category", "submitted_by")
        .only(
            "kind", "state", "occurred_at", "organization_id", "last_error", "risk_score", "severity",
            "election__code", "station__code", "station__district__region__code", "category__code", "category__critical",
            "submitted_by__public_code",
        )
        .first()
    )  # fmt: skip
    if report is None:
        return None
    if report.state == ReportState.FAILED:
        kind = AlertKind.PIPELINE_FAILED
        critical_flags = []
    elif report.state == ReportState.ACCEPTED:
        critical_flags = sorted(
            Flag.objects.filter(report_id=report.pk, severity=Severity.CRITICAL)
            .exclude(state=Flag.State.CLEARED)
            .values_list("code", flat=True)
        )
        if not (report.category is not None and report.category.critical) and not critical_flags:
            return None
        kind = AlertKind.CRITICAL_REPORT
    else:
        return None
    region = report.station.district.region
    payload = {
        "election": report.election.code,
        "region": region.code,
        "station": report.station.code,
        "report": str(report.pk),
        "report_kind": report.kind,
        "occurred_at": report.occurred_at.isoformat(),
        "observer": report.submitted_by.public_code,
        "category": report.category.code if report.category else "",
        "severity": report.severity or "",
        "critical_flags": critical_flags,
        "risk_score": report.risk_score,
    }
    if kind == AlertKind.PIPELINE_FAILED:
        # Only the error's type is stored by the pipeline (never report content).
        payload["error"] = report.last_error
    return EventFacts(
        kind=kind,
        key=f"{kind}:{report.pk}",
        organization_id=report.organization_id,
        election_id=report.election_id,
        region_id=region.pk,
        station_id=report.station_id,
        observer_id=report.submitted_by_id,
        submission_id=report.pk,
        occurred_at=report.occurred_at,
        payload=payload,
    )


def alert_recipients(*, organization_id: int, election_id: int, region_id: int | None, only_region: bool) -> list[int]:
    """The user ids of the organization's active coordinators with an e-mail
    address. With `only_region`, a coordinator deployed in the election to
    regions (a station, district or region of the plan) hears only of those;
    one without a deployment in the election hears of everything."""
    coordinators = (
        get_user_model()
        .objects.filter(observer__organization_id=organization_id, observer__role=Observer.Role.COORDINATOR, is_active=True)
        .exclude(email="")
    )
    if only_region and region_id is not None:
        deployed = Deployment.objects.filter(election_id=election_id, observer__role=Observer.Role.COORDINATOR)
        elsewhere = deployed.exclude(
            Q(region_id=region_id) | Q(district__region_id=region_id) | Q(station__district__region_id=region_id)
        ).values("observer__user_id")
        here = deployed.filter(
            Q(region_id=region_id) | Q(district__region_id=region_id) | Q(station__district__region_id=region_id)
        ).values("observer__user_id")
        coordinators = coordinators.filter(Q(pk__in=here) | ~Q(pk__in=elsewhere))
    return list(coordinators.order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True)
class Lapse:
    """An observer who should be seen and is not, from `since` on."""

    kind: str  # AlertKind.OBSERVER_SILENT or OBSERVER_MISSING
    observer_id: int
    public_code: str
    organization_id: int
    election: Election
    station_id: int
    station_code: str
    region_id: int
    region_code: str
    since: dt.datetime
    minutes: int


def coverage_lapses(*, election: Election, now: dt.datetime, silent_after: dt.timedelta, missing_after: dt.timedelta) -> list[Lapse]:
    """Observers posted to a station with a shift covering `now` who have not
    arrived `missing_after` past the shift's start (missing), or who arrived
    and have sent nothing (check-in or report) for `silent_after` (silent).

    A stand-in until the coverage board's own states land on main: the same
    definitions, one query for the plan and one for the submissions."""
    deployments = list(
        Deployment.objects.filter(election=election, station__isnull=False, shift_start__isnull=False, observer__organization__isnull=False)
        .select_related("observer", "station__district__region")
        .order_by("observer_id", "position")
    )
    observer_ids = {d.observer_id for d in deployments}
    arrived = set(
        CheckIn.objects.filter(election=election, submitted_by_id__in=observer_ids, checkin_kind=CheckInKind.ARRIVED).values_list(
            "submitted_by_id", flat=True
        )
    )
    last_seen = dict(
        Submission.objects.filter(election=election, submitted_by_id__in=observer_ids)
        .values("submitted_by_id")
        .annotate(last=Max("occurred_at"))
        .values_list("submitted_by_id", "last")
    )
    lapses, seen = [], set()
    for deployment in deployments:
        if deployment.observer_id in seen:
            continue
        region = deployment.station.district.region
        start, end = shift_window(election.voting_day, deployment.shift_start, deployment.shift_end, region.timezone)
        if not start <= now < end:
            continue
        lapse = _lapse(
            deployment, start, now, deployment.observer_id in arrived, last_seen.get(deployment.observer_id), silent_after, missing_after
        )
        if lapse is not None:
            seen.add(deployment.observer_id)
            kind, since, minutes = lapse
            lapses.append(
                Lapse(
                    kind=kind, observer_id=deployment.observer_id, public_code=deployment.observer.public_code,
                    organization_id=deployment.observer.organization_id, election=election, station_id=deployment.station_id,
                    station_code=deployment.station.code, region_id=region.pk, region_code=region.code, since=since, minutes=minutes,
                )
            )  # fmt: skip
    return lapses


def _lapse(deployment, start, now, has_arrived, last, silent_after, missing_after):
    if not has_arrived:
        due = start + missing_after
        return (AlertKind.OBSERVER_MISSING, due, int((now - start).total_seconds() // 60)) if now >= due else None
    if last is None or now - last < silent_after:
        return None
    return AlertKind.OBSERVER_SILENT, last + silent_after, int((now - last).total_seconds() // 60)


def coordinated_organization(user) -> int | None:
    """The organization whose alerts `user` coordinates, or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    observer = Observer.objects.filter(user_id=user.pk, role=Observer.Role.COORDINATOR).only("organization_id").first()
    return observer.organization_id if observer else None


def organization_scope(user, field: str = "organization_id") -> Q | None:
    """Rows of the organization the user coordinates (superusers: all); None: nothing."""
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser:
        return Q()
    organization_id = coordinated_organization(user)
    return Q(**{field: organization_id}) if organization_id else None
