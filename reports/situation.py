"""Reads for the coordinators' situation page: counts, reports by region and by
hour, flags by code, and map points, always scoped to what the user may see.
Incident reports only (check-ins belong to the coverage of the plan).
Each is one aggregate query, whatever the number of reports; the charts are
plain geometry that the template draws as SVG (no script, CSP-friendly)."""

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils.formats import date_format
from django.utils.translation import gettext

from monitoring.models import Election, Region

from .filters import URL_PARAMETERS
from .models import ChainHead, Flag, ReportState, Severity, TriageStatus, needs_triage
from .permissions import report_scope
from .selectors import reports_visible_to
from .validation import incident_time_in_range

MAX_HOURS = 48


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    emphasis: bool = False
    tick: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    total: int
    max_value: int


def horizontal_bars(items: list[tuple[str, int, str]], *, width: int = 640, row: int = 24, label_width: int = 200) -> Chart:
    """Items (label, value, link) as horizontal bars, largest first."""
    top = max((v for _, v, _ in items), default=0) or 1
    span = width - label_width - 60
    bars = []
    for i, (label, value, href) in enumerate(items):
        y = i * row + 4
        length = span * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                href=href,
                x=label_width,
                y=y,
                width=round(max(length, 1.5), 1),
                height=row - 8,
                label_x=label_width - 8,
                label_y=y + (row - 8) / 2 + 4,
                value_x=round(label_width + length + 6, 1),
                value_y=y + (row - 8) / 2 + 4,
            )
        )
    return Chart(width=width, height=max(len(items), 1) * row + 8, bars=bars, total=sum(v for _, v, _ in items), max_value=top)


def columns(items: list[tuple[str, int, str, bool]], *, width: int = 640, height: int = 200, tick_every: int = 2) -> Chart:
    """Items (label, value, link, emphasis) as vertical columns left to right;
    every `tick_every`-th label is written under the axis."""
    top = max((v for _, v, _, _ in items), default=0) or 1
    plot_height = height - 40
    slot = width / max(len(items), 1)
    bars = []
    for i, (label, value, href, emphasis) in enumerate(items):
        h = plot_height * value / top
        x = i * slot + slot * 0.12
        bars.append(
            Bar(
                label=label,
                value=value,
                href=href,
                x=round(x, 1),
                y=round(16 + plot_height - h, 1),
                width=round(slot * 0.76, 1),
                height=round(max(h, 0.5 if value else 0), 1),
                label_x=round(i * slot + slot / 2, 1),
                label_y=height - 8,
                value_x=round(i * slot + slot / 2, 1),
                value_y=round(12 + plot_height - h, 1),
                emphasis=emphasis,
                tick=label if i % tick_every == 0 else "",
            )
        )
    return Chart(width=width, height=height, bars=bars, total=sum(v for _, v, _, _ in items), max_value=top)


@dataclass
class Situation:
    election: Election
    counts: dict
    by_region: Chart
    by_hour: Chart
    hour_zones: list[str]
    flags: list[dict]
    chain_heads: list[ChainHead]
    generated_at: dt.datetime
    notes: list[str] = field(default_factory=list)


def _queue_link(changelist_url: str, **params) -> str:
    """The queue narrowed to the incident reports a figure counts (the queue
    also holds flagged check-ins, which the situation page leaves out)."""
    assert set(params) <= set(URL_PARAMETERS)
    return f"{changelist_url}?{urlencode({'kind': 'incident', **{k: v for k, v in params.items() if v not in ('', None)}})}"


def elections_for_situation():
    return list(Election.objects.order_by("-voting_day", "code"))


def situation_for(*, user, election: Election, changelist_url: str, now: dt.datetime) -> Situation:
    qs = reports_visible_to(user).filter(election=election)

    def link(**params) -> str:
        return _queue_link(changelist_url, election=election.code, **params)

    by_hour, zones, notes = _by_hour(qs)
    # Every organization's chain heads: only for those who see every organization.
    heads = (
        list(ChainHead.objects.filter(election=election).select_related("organization").order_by("organization__name", "kind"))
        if report_scope(user) is None
        else []
    )
    return Situation(
        election=election,
        counts=_counts(qs, now, link),
        by_region=_by_region(qs, link),
        by_hour=by_hour,
        hour_zones=zones,
        flags=_flags(qs, link),
        chain_heads=heads,
        generated_at=now,
        notes=notes,
    )


def _counts(qs, now: dt.datetime, link: Callable[..., str]) -> dict:
    counts = qs.aggregate(
        total=Count("pk"),
        last_hour=Count("pk", filter=Q(received_at__gte=now - dt.timedelta(hours=1))),
        new=Count("pk", filter=Q(triage_status=TriageStatus.NEW)),
        open_critical=Count("pk", filter=needs_triage() & Q(severity=Severity.CRITICAL)),
        escalated=Count("pk", filter=Q(triage_status=TriageStatus.ESCALATED)),
        verified=Count("pk", filter=Q(triage_status=TriageStatus.VERIFIED)),
        rejected=Count("pk", filter=Q(state=ReportState.REJECTED)),
        in_pipeline=Count("pk", filter=Q(state__in=[ReportState.RECEIVED, ReportState.PROCESSING])),
        failed=Count("pk", filter=Q(state=ReportState.FAILED)),
    )
    counts["links"] = {
        "total": link(),
        "new": link(triage_status="new"),
        "open_critical": link(severity="critical", triage_status="open"),
        "escalated": link(triage_status="escalated"),
        "verified": link(triage_status="verified"),
        "rejected": link(state="rejected"),
        "in_pipeline": link(state="received"),
        "failed": link(state="failed"),
        "last_hour": link(received_within="1h"),
    }
    return counts


def _by_region(qs, link: Callable[..., str]) -> Chart:
    """Reports by region of the claimed station, most first."""
    region_counts = list(qs.values("station__district__region_id").annotate(n=Count("pk")).order_by("-n", "station__district__region_id"))
    regions = Region.objects.in_bulk([r["station__district__region_id"] for r in region_counts])
    items = []
    for row in region_counts:
        region = regions[row["station__district__region_id"]]
        items.append((region.name, row["n"], link(region=region.code)))
    return horizontal_bars(items)


def _by_hour(qs) -> tuple[Chart, list[str], list[str]]:
    """Reports by hour of the incident on the station's own clock (critical
    hours emphasized), the zones involved, and notes on what was left out."""
    local, critical, zones = _hourly_counts(qs)
    notes, hours = [], []
    if local:
        start, end = min(local), max(local)
        span = int((end - start).total_seconds() // 3600) + 1
        if span > MAX_HOURS:
            notes.append(gettext("Showing the last %(shown)s hours of %(span)s.") % {"shown": MAX_HOURS, "span": span})
            start = end - dt.timedelta(hours=MAX_HOURS - 1)
        moment = start
        while moment <= end:
            label = moment.strftime("%H:00") if moment.hour else date_format(moment, "j M")
            hours.append((label, local[moment], "", critical[moment] > 0))
            moment += dt.timedelta(hours=1)
    return columns(hours, tick_every=2 if len(hours) <= 24 else 4), sorted(zones), notes


def _hourly_counts(qs) -> tuple[Counter, Counter, set[str]]:
    """Group by (zone, UTC hour) in the database, shift each bucket to its zone here."""
    hourly = (
        qs.annotate(hour=TruncHour("occurred_at", tzinfo=dt.UTC))
        .values("hour", "station__district__region__timezone")
        .annotate(n=Count("pk"), critical=Count("pk", filter=Q(severity=Severity.CRITICAL)))
        .order_by()
    )
    local, critical, zones = Counter(), Counter(), set()
    for bucket in hourly:
        zone = bucket["station__district__region__timezone"]
        zones.add(zone)
        if not incident_time_in_range(bucket["hour"]):
            continue  # stored before intake refused such times (year 1, 9999): no chart reaches there
        moment = bucket["hour"].astimezone(zoneinfo.ZoneInfo(zone)).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        local[moment] += bucket["n"]
        critical[moment] += bucket["critical"]
    return local, critical, zones


def _flags(qs, link: Callable[..., str]) -> list[dict]:
    """Flags not cleared, by code, most first."""
    flags = list(
        Flag.objects.filter(report__in=qs.values("pk"))
        .exclude(state=Flag.State.CLEARED)
        .values("code", "severity")
        .annotate(n=Count("pk"), open=Count("pk", filter=Q(state=Flag.State.OPEN)))
        .order_by("-n", "code")
    )
    for row in flags:
        row["href"] = link(flag=row["code"])
    return flags


def situation_points(*, user, election: Election) -> list[dict]:
    """One map point per polling station with reports (station coordinates, never
    the observers' own GPS fixes): how many, how many critical and still open."""
    qs = reports_visible_to(user).filter(election=election)
    rows = (
        qs.values("station__code", "station__name", "station__latitude", "station__longitude")
        .annotate(
            n=Count("pk"),
            critical=Count("pk", filter=Q(severity=Severity.CRITICAL)),
            open=Count("pk", filter=needs_triage()),
            risk=Max("risk_score"),
        )
        .order_by("station__code")
    )
    return [
        {
            "station": r["station__code"],
            "name": r["station__name"],
            "lat": r["station__latitude"],
            "lon": r["station__longitude"],
            "reports": r["n"],
            "critical": r["critical"],
            "open": r["open"],
            "max_risk": r["risk"],
        }
        for r in rows
    ]
