"""The reads alerts need: what a report's alert says, who hears of an event,
and which observers have lapsed (silent or missing) at a clock time."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from monitoring.models import Deployment, Election, Observer, PollingStation, Region
from reports.models import Flag, ReportState, Severity, Submission

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


def organizations_with_a_plan(*, election: Election) -> list[int]:
    return sorted(
        set(
            Deployment.objects.filter(election=election, observer__organization__isnull=False).values_list(
                "observer__organization_id", flat=True
            )
        )
    )


# The coverage board's states that alert the coordinators, and how long after `since` they do.
LAPSES = {"silent": AlertKind.OBSERVER_SILENT, "missing": AlertKind.OBSERVER_MISSING}


def coverage_lapses(*, coverage, election: Election, organization_id: int, now: dt.datetime) -> list[EventFacts]:
    """The alerts a coverage (`command.coverage.Coverage`) raises: one per
    silent or missing observer, keyed by when the lapse began (`since`: the
    last submission, or the shift's start), so one lapse alerts once and a new
    one alerts again. Two queries (the stations' and regions' ids)."""
    lapsed = [o for o in coverage.observers if str(o.state) in LAPSES and o.since is not None]
    stations = dict(PollingStation.objects.filter(election=election, code__in={o.station_code for o in lapsed}).values_list("code", "pk"))
    regions = dict(Region.objects.filter(code__in={o.region_code for o in lapsed}).values_list("code", "pk"))
    facts = []
    for row in lapsed:
        kind = LAPSES[str(row.state)]
        facts.append(
            EventFacts(
                kind=kind,
                key=f"{kind}:{row.observer_id}:{row.since.isoformat()}",
                organization_id=organization_id,
                election_id=election.pk,
                region_id=regions.get(row.region_code),
                station_id=stations.get(row.station_code),
                observer_id=row.observer_id,
                submission_id=None,
                occurred_at=row.since,
                payload={
                    "election": election.code,
                    "region": row.region_code,
                    "station": row.station_code,
                    "observer": row.public_code,
                    "since": row.since.isoformat(),
                    "minutes": int((now - row.since).total_seconds() // 60),
                },
            )
        )
    return facts


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
