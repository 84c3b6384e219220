"""Stage 3 of the pipeline: explainable irregularity flags.

Each rule is one small function over plain facts (no ORM, no Celery) with a
code, a threshold from `settings.PIPELINE` (reports.thresholds), and an explanation that carries the
numbers that triggered it. `evaluate` runs them all for one report;
`evaluate_cross` re-runs only the cross-report rules (`impossible_travel`,
`duplicate`, `hotspot`) for a neighbour whose cluster changed. `risk_score`
turns flags into the number that orders the triage queue. docs/flags.md
documents every rule, threshold and the risk formula.

Thresholds are compared strictly ("more than"), so a value exactly at a
threshold never raises a flag; counts and similarities are minimums ("at
least"). Explanations are rendered from `params` in the reader's language by
`flag_text`: params hold numbers, codes and names, never English sentences.
"""

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from monitoring.geo import haversine_m
from monitoring.localtime import to_local

from .thresholds import PipelineThresholds

FLAG_TEXT = {
    "off_site": _(
        "GPS fix {distance_km} km ({distance_m} m) from claimed station {station}: more than the allowed {threshold_m} m plus "
        "the fix's accuracy of {accuracy_m} m."
    ),
    "low_gps_accuracy": _("GPS fix accuracy is {accuracy_m} m, worse than {threshold_m} m: the location proves little."),
    "no_location": _("No location: the device sent no GPS fix and no photo carries GPS; station coordinates used."),
    "outside_polling_hours": _(
        "Voting-phase incident at {local_time} station time ({zone}), outside polling hours {opens}–{closes} on {voting_day}."
    ),
    "not_deployed": _("The observer is not deployed to station {station} nor to its district {district}."),
    "impossible_travel": _(
        "The same observer reported from station {other_station}, {distance_km} km away, {minutes} min apart: "
        "{speed_kmh} km/h, faster than {threshold_kmh} km/h."
    ),
    "duplicate": _(
        "Similar reports at station {station} in the same category within {window_minutes} min: {count} "
        "({other_organizations} from other organizations); closest {closest_minutes} min apart, text similarity {similarity} "
        "(at least {threshold})."
    ),
    "hotspot": _(
        "Reports at station {place} within {window_minutes} min ({start}–{end}, {zone}): {count}; {threshold} or more make a hot spot."
    ),
    "critical_category": _("Category “{category}” is critical: escalated for immediate review."),
    "late_filing": _("Received {hours} h after the incident, later than {threshold_hours} h."),
    "region_mismatch": _(
        "GPS fix is in {gps_region} (near {settlement}) but claimed station {station} is in {station_region}, {distance_km} km away."
    ),
    "photo_location_mismatch": _(
        "Photo {photo} was taken {distance_km} km from claimed station {station} and {location_distance_km} km from the "
        "report's location (more than {threshold_m} m from both)."
    ),
    "photo_time_mismatch": _(
        "Photo {photo} was taken at {taken_at} station time, {minutes} min from the incident time {occurred_at} "
        "(tolerance {threshold_minutes} min)."
    ),
}

# Flags whose wording depends on the case (`params["variant"]`).
FLAG_VARIANT_TEXT = {
    ("off_site", "accuracy_capped"): _(
        "GPS fix {distance_km} km ({distance_m} m) from claimed station {station}: more than the allowed {threshold_m} m plus "
        "the fix's accuracy, counted as at most {accuracy_m} m (the fix claims {claimed_accuracy_m} m)."
    ),
    ("off_site", "photo_exif"): _(
        "Photo GPS {distance_km} km ({distance_m} m) from claimed station {station}: more than the allowed {threshold_m} m "
        "(the report has no device fix)."
    ),
    ("impossible_travel", "simultaneous"): _(
        "The same observer reported from station {other_station}, {distance_km} km away, at the same time."
    ),
    ("photo_time_mismatch", "before"): _(
        "Photo {photo} was taken at {taken_at} station time, {minutes} min before the incident time {occurred_at} "
        "(tolerance {threshold_minutes} min)."
    ),
    ("photo_time_mismatch", "after"): _(
        "Photo {photo} was taken at {taken_at} station time, {minutes} min after the incident time {occurred_at} "
        "(tolerance {threshold_minutes} min)."
    ),
    ("hotspot", "district"): _(
        "Reports in district {place} within {window_minutes} min ({start}–{end}, {zone}): {count}; {threshold} or more make a hot spot."
    ),
}

SEVERITY_WEIGHT = {"low": 1, "medium": 2, "high": 3, "critical": 5}

FLAG_SEVERITY = {
    "off_site": "high",
    "low_gps_accuracy": "low",
    "no_location": "low",
    "outside_polling_hours": "medium",
    "not_deployed": "medium",
    "impossible_travel": "high",
    "duplicate": "low",
    "hotspot": "high",
    "critical_category": "critical",
    "late_filing": "low",
    "region_mismatch": "high",
    "photo_location_mismatch": "high",
    "photo_time_mismatch": "medium",
}

# The rules that look at other reports; recomputed for the neighbours of every
# processed report, never appended.
CROSS_REPORT_CODES = ("impossible_travel", "duplicate", "hotspot")


@dataclass(frozen=True)
class FlagResult:
    code: str
    severity: str
    params: dict = field(default_factory=dict)

    def explanation(self, language: str = "en") -> str:
        with translation.override(language):
            return flag_text(self.code, self.params)


def flag_text(code: str, params: dict) -> str:
    """Render a flag's explanation from its params in the active language."""
    params = params or {}
    template = FLAG_VARIANT_TEXT.get((code, params.get("variant"))) or FLAG_TEXT.get(code)
    if template is None:
        return code
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(template)


# --- Facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerReport:
    """A report as the cross-report rules see it (the subject or another report
    of the same election)."""

    report_id: str
    observer_id: int
    organization_id: int
    station_id: int
    station_code: str
    station_latitude: float
    station_longitude: float
    district_id: int
    district_name: str
    timezone: str  # the station's IANA zone
    category_code: str
    occurred_at: dt.datetime
    description: str
    amends_id: str | None = None


@dataclass(frozen=True)
class PhotoFacts:
    number: int  # 1-based, in upload order
    latitude: float | None
    longitude: float | None
    taken_at: dt.datetime | None  # aware


@dataclass(frozen=True)
class RuleFacts:
    report: PeerReport
    station_region_code: str
    station_region_name: str
    category_name_en: str
    category_phase: str
    category_critical: bool
    received_at: dt.datetime
    voting_day: dt.date
    polls_open: dt.time
    polls_close: dt.time
    location_source: str  # reports.models.LocationSource value
    latitude: float
    longitude: float
    accuracy_m: float | None  # only for a device fix
    claimed_station_distance_m: float | None
    # Region of the nearest station (registry) and region of the gazetteer's
    # first-level division (None: unknown / not mapped to a region).
    gps_region_code: str | None
    gps_region_name: str
    admin_region_code: str | None
    settlement: str
    deployed: bool
    thresholds: PipelineThresholds
    photos: tuple[PhotoFacts, ...] = ()
    # Accepted reports of the same election that cross-report rules may relate
    # this one to (the service's neighbourhood; the rules filter further).
    peers: tuple[PeerReport, ...] = ()

    # Convenience for the single-report rules.
    @property
    def station_code(self) -> str:
        return self.report.station_code

    @property
    def occurred_at(self) -> dt.datetime:
        return self.report.occurred_at

    @property
    def station_timezone(self) -> str:
        return self.report.timezone


# --- Shared computations (property-tested) -------------------------------------------------


def km(metres: float) -> float:
    return round(metres / 1000, 1)


def number(value: float) -> int | float:
    """A threshold as people write it: 150, not 150.0."""
    return int(value) if float(value).is_integer() else value


def accuracy_credit_m(accuracy_m: float | None, cap_m: float) -> float:
    """How much of a fix's claimed accuracy radius the off-site allowance adds:
    all of it, up to the low-accuracy threshold. A fix claiming worse is
    flagged `low_gps_accuracy` and earns no more slack; otherwise a phone (or a
    forger) claiming 999,999 m would switch the off-site checks off."""
    return min(accuracy_m or 0.0, cap_m)


def off_site_allowance_m(threshold_m: float, accuracy_m: float | None, cap_m: float) -> float:
    return threshold_m + accuracy_credit_m(accuracy_m, cap_m)


def is_off_site(distance_m: float, threshold_m: float, accuracy_m: float | None, cap_m: float) -> bool:
    return distance_m > off_site_allowance_m(threshold_m, accuracy_m, cap_m)


def implied_speed_kmh(distance_m: float, seconds: float) -> float:
    return float("inf") if seconds <= 0 else distance_m / seconds * 3.6


def is_impossible_travel(distance_m: float, seconds: float, *, max_kmh: float, min_m: float) -> bool:
    """More than `min_m` apart and faster than `max_kmh`. Multiplied out rather
    than divided, so a speed exactly at the threshold never flags."""
    seconds = abs(seconds)
    return distance_m > min_m and distance_m * 3600 > max_kmh * 1000 * seconds


def within_polling_hours(occurred_at: dt.datetime, zone: str, voting_day: dt.date, opens: dt.time, closes: dt.time) -> bool:
    """On the station's wall clock as of that instant (zoneinfo knows that
    Aktobe was UTC+5 and Almaty UTC+6 in January 2021). Both ends inclusive."""
    local = to_local(occurred_at, zone)
    return local.date() == voting_day and opens <= local.time() <= closes


_WORDS = re.compile(r"\w+")


def _trigrams(text: str) -> frozenset[str]:
    words = " ".join(_WORDS.findall(text.casefold()))
    if not words:
        return frozenset()
    padded = f"  {words} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of character trigrams of the case-folded words: 1.0 for
    the same words, 0.0 for nothing in common. Works for Kazakh, Russian and
    English alike; paraphrases of one incident typically score 0.5–0.9, different
    incidents below 0.3. Two empty descriptions are identical."""
    ga, gb = _trigrams(a), _trigrams(b)
    if not ga and not gb:
        return 1.0
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def current_reports(subject: PeerReport, peers: Sequence[PeerReport]) -> list[PeerReport] | None:
    """The peers that still stand, or None when the subject itself was
    corrected. A report that a later (accepted) report amends is a withdrawn
    claim: its correction takes its place in every cross-report rule, so a
    correction to another station is not travel and a report and its
    correction are not duplicates nor counted twice in a hot spot."""
    corrected = {p.amends_id for p in peers if p.amends_id}
    if subject.amends_id:
        corrected.add(subject.amends_id)
    if subject.report_id in corrected:
        return None
    return [p for p in peers if p.report_id not in corrected and p.report_id != subject.report_id]


def _related_ids(reports: Iterable[PeerReport], limit: int) -> list[str]:
    ordered = sorted(reports, key=lambda p: (p.occurred_at, p.report_id))
    return [p.report_id for p in ordered][:limit]


def _minutes(seconds: float) -> int:
    return int(round(abs(seconds) / 60))


# --- Single-report rules --------------------------------------------------------------------


def off_site(f: RuleFacts) -> FlagResult | None:
    """The fix is farther from the claimed station than the threshold plus the
    fix's own accuracy radius (a poor fix must not look like a lie), that
    radius counted up to the low-accuracy threshold (`accuracy_credit_m`)."""
    if f.location_source == "station" or f.claimed_station_distance_m is None:
        return None
    threshold = f.thresholds.off_site_meters
    cap = f.thresholds.low_gps_accuracy_meters
    accuracy = f.accuracy_m if f.location_source == "device_gps" else None
    if not is_off_site(f.claimed_station_distance_m, threshold, accuracy, cap):
        return None
    params = {
        "distance_m": round(f.claimed_station_distance_m),
        "distance_km": km(f.claimed_station_distance_m),
        "station": f.station_code,
        "threshold_m": round(threshold),
        "accuracy_m": round(accuracy_credit_m(accuracy, cap)),
    }
    if f.location_source == "photo_exif":
        params["variant"] = "photo_exif"
    elif accuracy is not None and accuracy > cap:
        params.update(variant="accuracy_capped", claimed_accuracy_m=round(accuracy))
    return FlagResult("off_site", FLAG_SEVERITY["off_site"], params)


def low_gps_accuracy(f: RuleFacts) -> FlagResult | None:
    if f.location_source != "device_gps" or f.accuracy_m is None:
        return None
    threshold = f.thresholds.low_gps_accuracy_meters
    if f.accuracy_m <= threshold:
        return None
    return FlagResult(
        "low_gps_accuracy", FLAG_SEVERITY["low_gps_accuracy"], {"accuracy_m": round(f.accuracy_m), "threshold_m": round(threshold)}
    )


def no_location(f: RuleFacts) -> FlagResult | None:
    if f.location_source != "station":
        return None
    return FlagResult("no_location", FLAG_SEVERITY["no_location"], {})


def outside_polling_hours(f: RuleFacts) -> FlagResult | None:
    """Voting-phase incidents can only happen while polls are open, judged on
    the station's wall clock as of that date."""
    if f.category_phase != "voting":
        return None
    if within_polling_hours(f.occurred_at, f.station_timezone, f.voting_day, f.polls_open, f.polls_close):
        return None
    local = to_local(f.occurred_at, f.station_timezone)
    return FlagResult(
        "outside_polling_hours",
        FLAG_SEVERITY["outside_polling_hours"],
        {
            "local_time": local.strftime("%Y-%m-%d %H:%M"),
            "zone": f.station_timezone,
            "opens": f.polls_open.strftime("%H:%M"),
            "closes": f.polls_close.strftime("%H:%M"),
            "voting_day": f.voting_day.isoformat(),
        },
    )


def not_deployed(f: RuleFacts) -> FlagResult | None:
    if f.deployed:
        return None
    return FlagResult("not_deployed", FLAG_SEVERITY["not_deployed"], {"station": f.station_code, "district": f.report.district_name})


def critical_category(f: RuleFacts) -> FlagResult | None:
    if not f.category_critical:
        return None
    return FlagResult("critical_category", FLAG_SEVERITY["critical_category"], {"category": f.category_name_en})


def late_filing(f: RuleFacts) -> FlagResult | None:
    threshold_hours = f.thresholds.late_filing_hours
    delay = (f.received_at - f.occurred_at).total_seconds()
    if delay <= threshold_hours * 3600:
        return None
    return FlagResult(
        "late_filing", FLAG_SEVERITY["late_filing"], {"hours": round(delay / 3600, 1), "threshold_hours": number(threshold_hours)}
    )


def region_mismatch(f: RuleFacts) -> FlagResult | None:
    """The fix is off site *and* in another region than the claimed station, by
    the registry (region of the nearest station) and, when it knows, by the
    gazetteer (first-level division of the nearest settlement). Requiring both
    keeps fixes near a region border from raising it."""
    if f.location_source == "station" or f.claimed_station_distance_m is None or f.gps_region_code is None:
        return None
    if f.gps_region_code == f.station_region_code:
        return None
    if f.admin_region_code is not None and f.admin_region_code == f.station_region_code:
        return None
    accuracy = f.accuracy_m if f.location_source == "device_gps" else None
    if not is_off_site(f.claimed_station_distance_m, f.thresholds.off_site_meters, accuracy, f.thresholds.low_gps_accuracy_meters):
        return None
    return FlagResult(
        "region_mismatch",
        FLAG_SEVERITY["region_mismatch"],
        {
            "gps_region": f.gps_region_name,
            "settlement": f.settlement,
            "station": f.station_code,
            "station_region": f.station_region_name,
            "distance_km": km(f.claimed_station_distance_m),
        },
    )


def photo_location_mismatch(f: RuleFacts) -> FlagResult | None:
    """A photo's EXIF GPS is far from the claimed station *and* from the
    report's own location: the photo was taken somewhere else than both the
    story and the fix say (e.g. an old photo reused). A photo that agrees with
    the fix is left to `off_site`."""
    threshold = f.thresholds.photo_distance_meters
    worst = None
    for photo in f.photos:
        if photo.latitude is None or photo.longitude is None:
            continue
        to_station = haversine_m(photo.latitude, photo.longitude, f.report.station_latitude, f.report.station_longitude)
        to_location = haversine_m(photo.latitude, photo.longitude, f.latitude, f.longitude)
        if to_station > threshold and to_location > threshold and (worst is None or to_station > worst[1]):
            worst = (photo, to_station, to_location)
    if worst is None:
        return None
    photo, to_station, to_location = worst
    return FlagResult(
        "photo_location_mismatch",
        FLAG_SEVERITY["photo_location_mismatch"],
        {
            "photo": photo.number,
            "distance_km": km(to_station),
            "location_distance_km": km(to_location),
            "station": f.station_code,
            "threshold_m": round(threshold),
        },
    )


def photo_time_mismatch(f: RuleFacts) -> FlagResult | None:
    """A photo's EXIF capture time is further from the stated incident time than
    the tolerance, either way."""
    tolerance = f.thresholds.photo_time_minutes * 60
    worst = None
    for photo in f.photos:
        if photo.taken_at is None:
            continue
        gap = (photo.taken_at - f.occurred_at).total_seconds()
        if abs(gap) > tolerance and (worst is None or abs(gap) > abs(worst[1])):
            worst = (photo, gap)
    if worst is None:
        return None
    photo, gap = worst
    return FlagResult(
        "photo_time_mismatch",
        FLAG_SEVERITY["photo_time_mismatch"],
        {
            "photo": photo.number,
            "taken_at": to_local(photo.taken_at, f.station_timezone).strftime("%Y-%m-%d %H:%M"),
            "occurred_at": to_local(f.occurred_at, f.station_timezone).strftime("%Y-%m-%d %H:%M"),
            "minutes": _minutes(gap),
            "variant": "before" if gap < 0 else "after",
            "threshold_minutes": f.thresholds.photo_time_minutes,
        },
    )


# --- Cross-report rules ---------------------------------------------------------------------


def impossible_travel(subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds) -> FlagResult | None:
    """The same observer reported from two stations so far apart, so close in
    time, that getting from one to the other was impossible. Symmetric: both
    reports of the pair carry the flag."""
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
        "minutes": _minutes(seconds),
        "speed_kmh": round(implied_speed_kmh(distance, seconds)) if seconds > 0 else None,
        "threshold_kmh": number(max_kmh),
        "related_reports": _related_ids((c[0] for c in conflicts), thresholds.related_reports_max),
    }
    if seconds == 0:
        params["variant"] = "simultaneous"
    return FlagResult("impossible_travel", FLAG_SEVERITY["impossible_travel"], params)


def duplicate(subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds) -> FlagResult | None:
    """Another report (any observer, any organization) at the same station, in
    the same category, close in time, telling a similar story. Symmetric."""
    window = thresholds.duplicate_window_minutes * 60
    minimum = thresholds.duplicate_min_similarity
    matches = []
    for peer in current_reports(subject, peers) or ():
        if peer.station_id != subject.station_id or peer.category_code != subject.category_code:
            continue
        gap = abs((peer.occurred_at - subject.occurred_at).total_seconds())
        if gap > window:
            continue
        similarity = text_similarity(subject.description, peer.description)
        if similarity >= minimum:
            matches.append((peer, gap, similarity))
    if not matches:
        return None
    closest = min(gap for _, gap, _ in matches)
    return FlagResult(
        "duplicate",
        FLAG_SEVERITY["duplicate"],
        {
            "station": subject.station_code,
            "count": len(matches),
            "other_organizations": len({p.organization_id for p, _, _ in matches} - {subject.organization_id}),
            "window_minutes": thresholds.duplicate_window_minutes,
            "closest_minutes": _minutes(closest),
            "similarity": round(max(s for _, _, s in matches), 2),
            "threshold": minimum,
            "related_reports": _related_ids((p for p, _, _ in matches), thresholds.related_reports_max),
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
    """Many reports at one station, or in one district, within one time window.
    Raised on every report of the window, so the whole cluster surfaces; the
    station scope wins over the district one."""
    window = thresholds.hotspot_window_minutes * 60
    others = current_reports(subject, peers)
    if others is None:
        return None  # corrected: the correction carries the flag
    scopes = (
        (None, [p for p in others if p.station_id == subject.station_id], thresholds.hotspot_station_min_reports, subject.station_code),
        (
            "district",
            [p for p in others if p.district_id == subject.district_id],
            thresholds.hotspot_district_min_reports,
            subject.district_name,
        ),
    )
    for variant, scope_peers, minimum, place in scopes:
        cluster = densest_window(subject, [subject, *scope_peers], window)
        if len(cluster) < minimum:
            continue
        params = {
            "place": place,
            "count": len(cluster),
            "threshold": minimum,
            "window_minutes": thresholds.hotspot_window_minutes,
            "start": to_local(cluster[0].occurred_at, subject.timezone).strftime("%Y-%m-%d %H:%M"),
            "end": to_local(cluster[-1].occurred_at, subject.timezone).strftime("%H:%M"),
            "zone": subject.timezone,
            "related_reports": _related_ids((p for p in cluster if p.report_id != subject.report_id), thresholds.related_reports_max),
        }
        if variant:
            params["variant"] = variant
        return FlagResult("hotspot", FLAG_SEVERITY["hotspot"], params)
    return None


SINGLE_REPORT_RULES: list[Callable[[RuleFacts], FlagResult | None]] = [
    off_site,
    low_gps_accuracy,
    no_location,
    outside_polling_hours,
    not_deployed,
    critical_category,
    late_filing,
    region_mismatch,
    photo_location_mismatch,
    photo_time_mismatch,
]
CROSS_REPORT_RULES: dict[str, Callable[[PeerReport, Sequence[PeerReport], PipelineThresholds], FlagResult | None]] = {
    "impossible_travel": impossible_travel,
    "duplicate": duplicate,
    "hotspot": hotspot,
}


def evaluate(facts: RuleFacts) -> list[FlagResult]:
    """Every flag the report raises, in a stable order."""
    flags = [flag for rule in SINGLE_REPORT_RULES if (flag := rule(facts)) is not None]
    flags += evaluate_cross(facts.report, facts.peers, facts.thresholds)
    return flags


def evaluate_cross(
    subject: PeerReport, peers: Sequence[PeerReport], thresholds: PipelineThresholds, codes: Iterable[str] = CROSS_REPORT_CODES
) -> list[FlagResult]:
    """The cross-report flags `codes` of `subject` among `peers`."""
    return [flag for code in codes if (flag := CROSS_REPORT_RULES[code](subject, peers, thresholds)) is not None]


def risk_score(*, severity: str, flags: Iterable) -> int:
    """Orders the triage queue, worst first:

        10 × weight(report severity) + Σ over the report's flags 10 × weight(flag severity)

    with weights low 1, medium 2, high 3, critical 5; flags a coordinator cleared
    are left out by the caller (`reports.selectors.risk_scores`, which the
    pipeline and triage both use). E.g. a high-severity report (30) that is off
    site (high, +30) and outside polling hours (medium, +20) scores 80. `flags`
    are anything with a `severity`."""
    return 10 * SEVERITY_WEIGHT.get(severity, 1) + sum(10 * SEVERITY_WEIGHT.get(flag.severity, 1) for flag in flags)
