"""Stage 3 of the pipeline: explainable irregularity flags.

Each rule is one small function over plain facts with a code, a threshold from
`settings.PIPELINE`, and an explanation that carries the numbers that triggered
it. `evaluate` runs them all; `risk_score` turns flags into the number that
orders the triage queue. docs/flags.md documents every rule.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from monitoring.localtime import to_local

FLAG_TEXT = {
    "off_site": _("GPS fix {distance_m} m from claimed station {station} (accuracy {accuracy_m} m, threshold {threshold_m} m)."),
    "no_location": _("No location: the device sent no GPS fix and no photo carries GPS; station coordinates used."),
    "outside_polling_hours": _(
        "Voting-phase incident at {local_time} station time ({zone}), outside polling hours {opens}–{closes} on {voting_day}."
    ),
    "critical_category": _("Category “{category}” is critical: escalated for immediate review."),
}

SEVERITY_WEIGHT = {"low": 1, "medium": 2, "high": 3, "critical": 5}


@dataclass(frozen=True)
class FlagResult:
    code: str
    severity: str
    params: dict = field(default_factory=dict)

    def explanation(self, language: str = "en") -> str:
        with translation.override(language):
            return flag_text(self.code, self.params)


def flag_text(code: str, params: dict) -> str:
    template = FLAG_TEXT.get(code)
    if template is None:
        return code
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(template)


@dataclass(frozen=True)
class RuleFacts:
    station_code: str
    station_timezone: str
    category_code: str
    category_name_en: str
    category_phase: str
    category_critical: bool
    occurred_at: dt.datetime
    voting_day: dt.date
    polls_open: dt.time
    polls_close: dt.time
    location_source: str
    accuracy_m: float | None
    claimed_station_distance_m: float | None
    thresholds: dict


def off_site(f: RuleFacts) -> FlagResult | None:
    """The fix is farther from the claimed station than the threshold plus the
    fix's own accuracy radius (a poor fix must not look like a lie)."""
    if f.location_source == "station" or f.claimed_station_distance_m is None:
        return None
    threshold = f.thresholds["OFF_SITE_METERS"]
    allowance = threshold + (f.accuracy_m or 0.0)
    if f.claimed_station_distance_m <= allowance:
        return None
    return FlagResult(
        "off_site",
        "high",
        {
            "distance_m": round(f.claimed_station_distance_m),
            "station": f.station_code,
            "accuracy_m": round(f.accuracy_m) if f.accuracy_m is not None else "unknown",
            "threshold_m": round(threshold),
        },
    )


def no_location(f: RuleFacts) -> FlagResult | None:
    if f.location_source != "station":
        return None
    return FlagResult("no_location", "low", {})


def outside_polling_hours(f: RuleFacts) -> FlagResult | None:
    """Voting-phase incidents can only happen while polls are open, judged on
    the station's wall clock as of that date."""
    if f.category_phase != "voting":
        return None
    local = to_local(f.occurred_at, f.station_timezone)
    inside = local.date() == f.voting_day and f.polls_open <= local.time() <= f.polls_close
    if inside:
        return None
    return FlagResult(
        "outside_polling_hours",
        "medium",
        {
            "local_time": local.strftime("%Y-%m-%d %H:%M"),
            "zone": f.station_timezone,
            "opens": f.polls_open.strftime("%H:%M"),
            "closes": f.polls_close.strftime("%H:%M"),
            "voting_day": f.voting_day.isoformat(),
        },
    )


def critical_category(f: RuleFacts) -> FlagResult | None:
    if not f.category_critical:
        return None
    return FlagResult("critical_category", "critical", {"category": f.category_name_en})


RULES: list[Callable[[RuleFacts], FlagResult | None]] = [off_site, no_location, outside_polling_hours, critical_category]


def evaluate(facts: RuleFacts) -> list[FlagResult]:
    return [flag for rule in RULES if (flag := rule(facts)) is not None]


def risk_score(*, severity: str, flags: list[FlagResult]) -> int:
    """Report severity weight × 10 plus, for every flag, its severity weight × 10.
    E.g. a high-severity report (30) that is off site (high, +30) and outside
    hours (medium, +20) scores 80."""
    return 10 * SEVERITY_WEIGHT.get(severity, 1) + sum(10 * SEVERITY_WEIGHT.get(flag.severity, 1) for flag in flags)
