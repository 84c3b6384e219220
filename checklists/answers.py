"""Answers to a form, checked against the version they are filed under.

`answers_check` is pure: it returns, for a version's document and the answers
{question code: value},

- `errors`: per question, what is wrong (wrong type, out of bounds, not one of
  the choices, no such photo attached, unknown question, required and
  missing). A filing door answers these as 400 field errors; nothing with an
  error is stored.
- `values`: the answers normalized (yes/no as booleans, numbers as int or
  float, "12" as 12), which is what gets stored and hashed.
- `rules`: every QA rule of the form, passed, broken (with the numbers) or not
  evaluated (an answer it needs is missing, or a division by zero).
- `critical`: the critical answers given.

Messages are in the active language (the request's, or the worker's).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import expressions
from .expressions import ExpressionError
from .formdoc import VOTES, FormDocument, Question, Rule, Text

_INTEGER = re.compile(r"^[+-]?[0-9]{1,15}$")
_DECIMAL = re.compile(r"^[+-]?[0-9]{1,15}(?:\.[0-9]{1,6})?$")
_YES = {"yes", "true", "y", "1"}
_NO = {"no", "false", "n", "0"}
MAX_ABS_NUMBER = 10**15

PASSED = "passed"
BROKEN = "broken"
NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True)
class RuleResult:
    code: str
    outcome: str  # PASSED, BROKEN or NOT_EVALUATED
    expression: str
    text: Text
    values: dict[str, object] = field(default_factory=dict)  # the answers the rule reads
    sides: tuple[tuple[str, str], ...] = ()  # for a comparison: each term and its value, as text
    reason: str = ""  # why it was not evaluated

    @property
    def broken(self) -> bool:
        return self.outcome == BROKEN


@dataclass(frozen=True)
class CriticalAnswer:
    question: str
    answer: object
    text: Text


@dataclass(frozen=True)
class AnswerCheck:
    values: dict[str, object]
    errors: dict[str, list[str]]
    rules: tuple[RuleResult, ...]
    critical: tuple[CriticalAnswer, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def broken_rules(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if r.broken)


class _Invalid(Exception):
    def __init__(self, message: str):
        self.message = message


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def answers_check(document: FormDocument, answers: Mapping[str, object], *, photos: Collection[str] = ()) -> AnswerCheck:
    """Check `answers` against `document`. `photos` names the photos attached
    to the same submission, which photo questions' answers must name."""
    values: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for code in answers:
        if code not in document.questions:
            errors[str(code)] = [_("Unknown question.")]
    for code, question in document.questions.items():
        raw = answers.get(code)
        if _blank(raw):
            if question.required:
                errors[code] = [_("This question is required.")]
            continue
        try:
            values[code] = _normalize(question, raw, photos)
        except _Invalid as exc:
            errors[code] = [exc.message]
    rules = tuple(_rule_result(rule, values, errors) for rule in document.rules)
    critical = tuple(
        CriticalAnswer(code, values[code], document.questions[code].text)
        for code, question in document.questions.items()
        if code in values and values[code] in question.critical and _same_kind(values[code], question)
    )
    return AnswerCheck(values=values, errors=errors, rules=rules, critical=critical)


def _same_kind(value, question: Question) -> bool:
    # True == 1 in Python: a yes/no critical answer must not match a number.
    return isinstance(value, bool) == (question.type == "yes_no")


def _normalize(question: Question, raw, photos: Collection[str]):
    if question.type == "yes_no":
        return _yes_no(raw)
    if question.type == "number":
        return _number(question, raw)
    if question.type == "choice":
        if not isinstance(raw, str) or raw not in question.choice_codes:
            raise _Invalid(_("Choose one of: %(choices)s.") % {"choices": ", ".join(question.choice_codes)})
        return raw
    if question.type == "text":
        if not isinstance(raw, str):
            raise _Invalid(_("Must be text."))
        if len(raw) > question.max_length:
            raise _Invalid(_("At most %(count)s characters.") % {"count": question.max_length})
        return raw
    # A photo question names one of the photos sent with the submission.
    if not isinstance(raw, str) or raw not in photos:
        raise _Invalid(_("Name a photo sent with this checklist."))
    return raw


def _yes_no(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
        return raw.strip().lower() in _YES
    raise _Invalid(_("Answer yes or no."))


def _number(question: Question, raw) -> int | float:
    value = _parse_number(raw, integer=question.integer)
    if question.minimum is not None and value < question.minimum:
        raise _Invalid(_("Must be at least %(min)s.") % {"min": _plain(question.minimum)})
    if question.maximum is not None and value > question.maximum:
        raise _Invalid(_("Must be at most %(max)s.") % {"max": _plain(question.maximum)})
    return value


def _parse_number(raw, *, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise _Invalid(_("Must be a number."))
    if isinstance(raw, str):
        text = raw.strip()
        if not (_INTEGER if integer else _DECIMAL).match(text):
            raise _Invalid(_("Must be a whole number.") if integer else _("Must be a number."))
        raw = int(text) if _INTEGER.match(text) else float(text)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _Invalid(_("Must be a number."))
        if integer:
            if raw != int(raw):
                raise _Invalid(_("Must be a whole number."))
            raw = int(raw)
    if not isinstance(raw, int | float):
        raise _Invalid(_("Must be a whole number.") if integer else _("Must be a number."))
    if abs(raw) >= MAX_ABS_NUMBER:
        raise _Invalid(_("Must be a number of at most 15 digits."))
    return raw


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def _rule_result(rule: Rule, values: dict, errors: dict) -> RuleResult:
    names = sorted(rule.expression.names)
    base = {"code": rule.code, "expression": rule.expression.text, "text": rule.text}
    missing = [n for n in names if n not in values or n in errors]
    if missing:
        return RuleResult(**base, outcome=NOT_EVALUATED, reason="unanswered: " + ", ".join(missing))
    read = {n: values[n] for n in names}
    try:
        passed = expressions.evaluate(rule.expression, read)
    except ExpressionError as exc:
        return RuleResult(**base, outcome=NOT_EVALUATED, values=read, reason=exc.message)
    try:
        sides = tuple((text, expressions.number_display(value)) for text, value in expressions.sides(rule.expression, read))
    except ExpressionError:
        sides = ()  # a term the chain never reached divides by zero: the outcome stands, without the numbers
    return RuleResult(**base, outcome=PASSED if passed else BROKEN, values=read, sides=sides)


def protocol_figures(document: FormDocument, answers: Mapping[str, object]) -> dict[str, int | float]:
    """A results protocol's figures by name (registered_voters, ballots_cast, …,
    votes:<party>); {} for a form that is not a protocol."""
    if not document.is_protocol:
        return {}
    figures = {figure: answers[code] for figure, code in document.figures.items() if code in answers}
    figures.update({f"{VOTES}:{party}": answers[code] for party, code in document.party_votes.items() if code in answers})
    return figures
