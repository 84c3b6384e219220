"""The rules that relate a submission to others of the same election
(`impossible_travel`, `duplicate`, `hotspot`). Symmetric, and recomputed on the
neighbours of every processed submission (never appended), so the final flags
do not depend on the order in which submissions were processed.

`impossible_travel` counts every kind (a check-in puts the observer at a
station as surely as a report does); `duplicate` and `hotspot` are about
incidents, so they look at incident reports only (`CROSS_CODES_BY_KIND`), and
only at those of the subject's own organization: what an organization sees
and scores never depends on another organization's filings (a flag, its
figures, +10 risk with no event in the report's trail would all leak them).
An observer belongs to one organization, so `impossible_travel` stays
within it too."""

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from monitoring.geo import haversine_m
from monitoring.localtime import to_local

from ..thresholds import PipelineThresholds
from .facts import CHECKIN, CHECKLIST, INCIDENT, FlagResult, PeerReport
from .measures import current_reports, implied_speed_kmh, is_impossible_travel, km, minutes, number, related_ids, text_similarity
from .risk import FLAG_SEVERITY

# The rules that look at other reports; recomputed for the neighbours of every
# processed report, never appended.
CROSS_REPORT_CODES = ("impossible_travel", "duplicate", "hotspot")

# Which of them a submission of each kind carries.
CROSS_CODES_BY_KIND = {INCIDENT: CROSS_REPORT_CODES, CHECKIN: ("impossible_travel",), CHECKLIST: ("impossible_travel",)}


def _own_incidents(subject: PeerReport, peers: Sequence[PeerReport]) -> list[PeerReport]:
    """The incident reports among `peers` of the subject's own organization."""
    return [p for p in peers if p.kind == INCIDENT and p.organization_id == subject.organization_id]


def impossible_travel(subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds) -> FlagResult | None:
    """The same observer sent something (a report, a check-in) from two
    stations so far apart, so close in time, that getting from one to the other
    was impossible. Symmetric: both submissions of the pair carry the flag."""
    max_kmh, min_m = thresholds.travel_max_kmh, thresholds.travel_min_meters
    conflicts = []
    for peer in current_reports(subject, peers) or ():
        if peer.observer_id != subject.observer_id or peer.station_id == subject.station_id:
            continue
        distance = haversine_m(subject.station_latitude, subject.station_longitude, peer.station_latitude, peer.station_longitude)
        seconds = abs((peer.occurred_at - subject.occurred_at).total_seconds())
        if is_impossible_travel(distance, seconds, max_kmh=max_kmh, min_m=min_m):
            conflicts.append((peer, distance, seconds))
    if not conflicts:
        return None
    # Explain with the most extreme pair: highest speed, then farthest, then by id.
    peer, distance, seconds = min(conflicts, key=lambda c: (c[2] * 1000 / c[1], -c[1], c[0].report_id))
    params = {
        "other_station": peer.station_code,
        "distance_km": km(distance),
        "minutes": minutes(seconds),
        "speed_kmh": round(implied_speed_kmh(distance, seconds)) if seconds > 0 else None,
        "threshold_kmh": number(max_kmh),
        "related_reports": related_ids((c[0] for c in conflicts), thresholds.related_reports_max),
    }
    if seconds == 0:
        params["variant"] = "simultaneous"
    return FlagResult("impossible_travel", FLAG_SEVERITY["impossible_travel"], params)


def duplicate(subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds) -> FlagResult | None:
    """Another report of the same organization (any of its observers) at the
    same station, in the same category, close in time, telling a similar
    story. Symmetric."""
    if subject.kind != INCIDENT:
        return None
    window = thresholds.duplicate_window_minutes * 60
    minimum = thresholds.duplicate_min_similarity
    matches = []
    for peer in current_reports(subject, _own_incidents(subject, peers)) or ():
        if peer.station_id != subject.station_id or peer.category_code != subject.category_code:
            continue
        gap = abs((peer.occurred_at - subject.occurred_at).total_seconds())
        if gap > window:
            continue
        similarity = text_similarity(subject.description, peer.description)
        if similarity >= minimum:
            matches.append((peer, gap, similarity))
    return duplicate_flag(subject, matches, thresholds) if matches else None


def duplicate_flag(subject: PeerReport, matches: list, thresholds: PipelineThresholds) -> FlagResult:
    """The `duplicate` flag of `subject` from its matches: (peer, gap in
    seconds, similarity) each. Shared with the cluster pass (rules.clusters)."""
    return FlagResult(
        "duplicate",
        FLAG_SEVERITY["duplicate"],
        {
            "station": subject.station_code,
            "count": len(matches),
            "window_minutes": thresholds.duplicate_window_minutes,
            "closest_minutes": minutes(min(gap for _, gap, _ in matches)),
            "similarity": round(max(s for _, _, s in matches), 2),
            "threshold": thresholds.duplicate_min_similarity,
            "related_reports": related_ids((p for p, _, _ in matches), thresholds.related_reports_max),
        },
    )


def densest_window(subject: PeerReport, members: Sequence[PeerReport], window_seconds: float) -> list[PeerReport]:
    """The largest set of `members` whose incident times fit in one window of
    `window_seconds` (both ends inclusive) that contains the subject's time.
    Ties go to the earliest window. `members` must include the subject."""
    ordered = sorted(members, key=lambda p: (p.occurred_at, p.report_id))
    times = [p.occurred_at for p in ordered]
    width = dt.timedelta(seconds=window_seconds)
    best: tuple[int, int] = (0, 0)
    for start in sorted({t for t in times if subject.occurred_at - width <= t <= subject.occurred_at}):
        lo, hi = bisect.bisect_left(times, start), bisect.bisect_right(times, start + width)
        if hi - lo > best[1] - best[0]:
            best = (lo, hi)
    return ordered[best[0] : best[1]]


def hotspot(subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds) -> FlagResult | None:
    """Many reports of the subject's organization at one station, or in one
    district, within one time window. Raised on every report of the window, so the whole cluster surfaces; the
    station scope wins over the district one."""
    if subject.kind != INCIDENT:
        return None
    window = thresholds.hotspot_window_minutes * 60
    others = current_reports(subject, _own_incidents(subject, peers))
    if others is None:
        return None  # corrected: the correction carries the flag
    scopes = (
        (None, [p for p in others if p.station_id == subject.station_id], thresholds.hotspot_station_min_reports),
        ("district", [p for p in others if p.district_id == subject.district_id], thresholds.hotspot_district_min_reports),
    )
    for variant, scope_peers, minimum in scopes:
        cluster = densest_window(subject, [subject, *scope_peers], window)
        if len(cluster) < minimum:
            continue
        related = related_ids((p for p in cluster if p.report_id != subject.report_id), thresholds.related_reports_max)
        return hotspot_flag(subject, cluster, variant, thresholds, related)
    return None


def hotspot_flag(
    subject: PeerReport, cluster: Sequence[PeerReport], variant: str | None, thresholds: PipelineThresholds, related: list[str]
) -> FlagResult:
    """The `hotspot` flag of `subject` in its densest window `cluster` (in time
    order): at its station (`variant` None) or in its district. Shared with the
    cluster pass (rules.clusters), which finds `related` its own faster way."""
    params = {
        "place": subject.district_name if variant else subject.station_code,
        "count": len(cluster),
        "threshold": thresholds.hotspot_district_min_reports if variant else thresholds.hotspot_station_min_reports,
        "window_minutes": thresholds.hotspot_window_minutes,
        "start": to_local(cluster[0].occurred_at, subject.timezone).strftime("%Y-%m-%d %H:%M"),
        "end": to_local(cluster[-1].occurred_at, subject.timezone).strftime("%H:%M"),
        "zone": subject.timezone,
        "related_reports": related,
    }
    if variant:
        params["variant"] = variant
    return FlagResult("hotspot", FLAG_SEVERITY["hotspot"], params)


CROSS_REPORT_RULES: dict[str, Callable[[PeerReport, Sequence[PeerReport], PipelineThresholds], FlagResult | None]] = {
    "impossible_travel": impossible_travel,
    "duplicate": duplicate,
    "hotspot": hotspot,
}


def evaluate_cross(
    subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds, codes: Iterable[str] = CROSS_REPORT_CODES
) -> list[FlagResult]:
    """The cross-report flags `codes` of `subject` among `peers` (only those
    of `codes` that `subject`'s kind carries)."""
    codes = [code for code in codes if code in CROSS_CODES_BY_KIND[subject.kind]]
    return [flag for code in codes if (flag := CROSS_REPORT_RULES[code](subject, peers, thresholds)) is not None]
