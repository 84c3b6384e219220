"""How much each flag weighs, and the risk score that orders the triage queue."""

from collections.abc import Iterable

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
    "checklist_critical": "critical",
    "results_arithmetic": "high",
    "turnout_over_100": "high",
    "results_conflict": "high",
}


def risk_score(*, severity: str | None, flags: Iterable) -> int:
    """Orders the triage queue, worst first:

        10 × weight(report severity) + Σ over the report's flags 10 × weight(flag severity)

    with weights low 1, medium 2, high 3, critical 5; flags a coordinator cleared
    are left out by the caller (`reports.writes.risk_scores`, which the
    pipeline and triage both use). E.g. a high-severity report (30) that is off
    site (high, +30) and outside polling hours (medium, +20) scores 80. `flags`
    are anything with a `severity`. A submission without a severity of its own
    (a check-in) weighs only its flags: 0 without any, which keeps it out of
    the triage queue."""
    base = 10 * SEVERITY_WEIGHT.get(severity, 1) if severity else 0
    return base + sum(10 * SEVERITY_WEIGHT.get(flag.severity, 1) for flag in flags)
