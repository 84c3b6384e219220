"""The rules about what a checklist says (kind `checklist`): a critical answer,
the protocol's arithmetic, a turnout over 100 %, and two counting protocols of
one station from the same organization that disagree. Each reads the
checklist's `ChecklistFacts` (the checklists app gathers them: this package
knows no forms) and names the answers and numbers that raised it."""

from .facts import ChecklistFacts, FlagResult, RuleFacts
from .measures import number
from .risk import FLAG_SEVERITY


def _checklist(f: RuleFacts) -> ChecklistFacts | None:
    return f.checklist


def checklist_critical(f: RuleFacts) -> FlagResult | None:
    facts = _checklist(f)
    if facts is None or not facts.critical:
        return None
    answers = "; ".join(f"{a.question} = {a.answer} ({a.text})" for a in facts.critical)
    return FlagResult(
        "checklist_critical",
        FLAG_SEVERITY["checklist_critical"],
        {"form": facts.form, "count": len(facts.critical), "answers": answers, "questions": [a.question for a in facts.critical]},
    )


def results_arithmetic(f: RuleFacts) -> FlagResult | None:
    """A QA rule of the form is broken: each broken rule by its code, with both
    sides of the comparison and their values."""
    facts = _checklist(f)
    if facts is None or not facts.broken_rules:
        return None
    described = []
    for rule in facts.broken_rules:
        sides = " vs ".join(f"{term} = {value}" for term, value in rule.sides) if rule.sides else rule.expression
        described.append(f"{rule.code} ({rule.expression}): {sides}")
    return FlagResult(
        "results_arithmetic",
        FLAG_SEVERITY["results_arithmetic"],
        {"form": facts.form, "count": len(described), "rules": "; ".join(described), "codes": [r.code for r in facts.broken_rules]},
    )


def turnout_over_100(f: RuleFacts) -> FlagResult | None:
    """More ballots cast (or issued) than voters on the list."""
    facts = _checklist(f)
    if facts is None:
        return None
    registered = facts.figures.get("registered_voters")
    if not registered:
        return None
    figure, ballots = max(
        ((name, facts.figures[name]) for name in ("ballots_cast", "ballots_issued") if facts.figures.get(name) is not None),
        key=lambda item: item[1],
        default=(None, None),
    )
    if ballots is None or ballots <= registered:
        return None
    return FlagResult(
        "turnout_over_100",
        FLAG_SEVERITY["turnout_over_100"],
        {"turnout_pct": number(round(100 * ballots / registered, 1)), "figure": figure, "ballots": ballots, "registered": registered},
    )


def results_conflict(f: RuleFacts) -> FlagResult | None:
    """Another counting protocol of the same station from the same organization,
    already accepted, gives other figures: the flag names it and every figure
    on which the two differ. The later of the two to be processed carries it."""
    facts = _checklist(f)
    if facts is None or not facts.figures:
        return None
    for other in facts.others:
        differing = sorted(k for k in facts.figures.keys() | other.figures.keys() if facts.figures.get(k) != other.figures.get(k))
        if not differing:
            continue
        differences = "; ".join(f"{k} {_shown(facts.figures.get(k))} vs {_shown(other.figures.get(k))}" for k in differing)
        return FlagResult(
            "results_conflict",
            FLAG_SEVERITY["results_conflict"],
            {
                "station": f.station_code,
                "other": other.report_id,
                "other_observer": other.observer_code,
                "count": len(differing),
                "differences": differences,
                "figures": differing,
            },
        )
    return None


def _shown(value) -> str:
    return "–" if value is None else str(value)


CHECKLIST_RULES = [checklist_critical, results_arithmetic, turnout_over_100, results_conflict]
