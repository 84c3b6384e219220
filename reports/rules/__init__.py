"""Stage 3 of the pipeline: explainable irregularity flags.

Each rule is one small function over plain facts (no ORM, no Celery) with a
code, a threshold from `settings.PIPELINE` (reports.thresholds), and an
explanation that carries the numbers that triggered it. docs/flags.md
documents every rule, threshold and the risk formula.

- `facts`: what the rules read (RuleFacts, PeerReport, PhotoFacts) and return (FlagResult);
- `texts`: each flag's explanation, rendered from its params in the reader's language;
- `measures`: shared computations (distances, speeds, polling hours, text similarity);
- `single`: the rules about one report; `cross`: the rules relating it to others;
- `checklist`: the rules about what a checklist's answers say;
- `risk`: each flag's weight and the risk score that orders the triage queue.

`evaluate` runs the rules of one submission's kind (incident reports: all of
them; check-ins: the location rules, `not_deployed` and `impossible_travel`;
checklists: those and the checklist rules);
`evaluate_cross` re-runs only the cross-report rules for a neighbour whose
cluster changed. Thresholds are
compared strictly ("more than"), so a value exactly at a threshold never
raises a flag; counts and similarities are minimums ("at least").

Callers use the package (`from reports import rules`; `rules.evaluate`,
`rules.PeerReport`); its modules import each other, never the package.
"""

from .checklist import CHECKLIST_RULES, checklist_critical, results_arithmetic, results_conflict, turnout_over_100
from .clusters import CLUSTER_CODES, cluster_flags
from .cross import (
    CROSS_CODES_BY_KIND,
    CROSS_REPORT_CODES,
    CROSS_REPORT_RULES,
    densest_window,
    duplicate,
    evaluate_cross,
    hotspot,
    impossible_travel,
)
from .facts import (
    CHECKIN,
    CHECKLIST,
    INCIDENT,
    BrokenRuleFacts,
    ChecklistFacts,
    CriticalAnswerFacts,
    FlagResult,
    PeerReport,
    PhotoFacts,
    ProtocolFacts,
    RuleFacts,
)
from .measures import (
    accuracy_credit_m,
    current_reports,
    implied_speed_kmh,
    is_impossible_travel,
    is_off_site,
    km,
    number,
    off_site_allowance_m,
    text_similarity,
    trigram_similarity,
    trigrams,
    within_polling_hours,
)
from .risk import FLAG_SEVERITY, SEVERITY_WEIGHT, risk_score
from .single import (
    LOCATION_RULES,
    SINGLE_REPORT_RULES,
    SINGLE_RULES_BY_KIND,
    critical_category,
    late_filing,
    low_gps_accuracy,
    no_location,
    not_deployed,
    off_site,
    outside_polling_hours,
    photo_location_mismatch,
    photo_time_mismatch,
    region_mismatch,
)
from .texts import FLAG_TEXT, FLAG_VARIANT_TEXT, OBSERVER_FLAG_TEXT, flag_text, observer_flag_text


def evaluate(facts: RuleFacts, skip: tuple[str, ...] = ()) -> list[FlagResult]:
    """Every flag the submission raises, in a stable order, but the
    cross-report codes in `skip` (the pipeline leaves the cluster flags to the
    cluster's batched refresh, `cluster_flags`)."""
    flags = [flag for rule in SINGLE_RULES_BY_KIND[facts.kind] if (flag := rule(facts)) is not None]
    flags += evaluate_cross(facts.report, facts.peers, facts.thresholds, [c for c in CROSS_REPORT_CODES if c not in skip])
    return flags


__all__ = [
    "CHECKIN",
    "CHECKLIST_RULES",
    "CHECKLIST",
    "CLUSTER_CODES",
    "CROSS_CODES_BY_KIND",
    "CROSS_REPORT_CODES",
    "CROSS_REPORT_RULES",
    "FLAG_SEVERITY",
    "FLAG_TEXT",
    "FLAG_VARIANT_TEXT",
    "INCIDENT",
    "OBSERVER_FLAG_TEXT",
    "LOCATION_RULES",
    "SEVERITY_WEIGHT",
    "SINGLE_REPORT_RULES",
    "SINGLE_RULES_BY_KIND",
    "BrokenRuleFacts",
    "ChecklistFacts",
    "CriticalAnswerFacts",
    "ProtocolFacts",
    "checklist_critical",
    "results_arithmetic",
    "results_conflict",
    "turnout_over_100",
    "FlagResult",
    "PeerReport",
    "PhotoFacts",
    "RuleFacts",
    "accuracy_credit_m",
    "cluster_flags",
    "critical_category",
    "current_reports",
    "densest_window",
    "duplicate",
    "evaluate",
    "evaluate_cross",
    "flag_text",
    "hotspot",
    "implied_speed_kmh",
    "impossible_travel",
    "is_impossible_travel",
    "is_off_site",
    "km",
    "late_filing",
    "low_gps_accuracy",
    "no_location",
    "not_deployed",
    "number",
    "observer_flag_text",
    "off_site",
    "off_site_allowance_m",
    "outside_polling_hours",
    "photo_location_mismatch",
    "photo_time_mismatch",
    "region_mismatch",
    "risk_score",
    "text_similarity",
    "trigram_similarity",
    "trigrams",
    "within_polling_hours",
]
