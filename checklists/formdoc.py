"""A form as data: the JSON document a form version holds, checked and read.

`form_document_parse` checks a document against the schema
(checklists/schema/form.schema.json) and then against what a schema cannot
say: codes unique within the form, bounds in order, critical answers that the
question can take, QA rules that parse, name known questions of the right
type and are yes/no conditions, and, for a results protocol, one votes
question per party. Every problem is listed with where it is
(`sections[1].questions[3].max: ...`); nothing is half-accepted.

A parsed `FormDocument` is immutable, as the stored version it comes from.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from . import expressions
from .expressions import Expression, ExpressionError

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "form.schema.json"
FORMAT = 1
LANGUAGES = ("kk", "ru", "en")
PHASES = ("opening", "voting", "closing", "counting")
QUESTION_TYPES = ("yes_no", "number", "choice", "text", "photo")
DEFAULT_TEXT_LENGTH = 2000
MAX_PROBLEMS = 50

# The figures of a results protocol (`figure` of a number question); `votes`
# goes with a `party`. The quick count needs registered voters and ballots cast.
FIGURES = (
    "registered_voters",
    "ballots_received",
    "ballots_issued",
    "ballots_spoiled",
    "ballots_unused",
    "ballots_cast",
    "ballots_invalid",
)
REQUIRED_FIGURES = ("registered_voters", "ballots_cast")
VOTES = "votes"

# Which keys each question type may carry beyond code, short_code, type, text, help, required.
_TYPE_KEYS = {
    "yes_no": {"critical"},
    "number": {"min", "max", "integer", "figure", "party"},
    "choice": {"choices", "critical"},
    "text": {"max_length"},
    "photo": set(),
}
_COMMON_KEYS = {"code", "short_code", "type", "text", "help", "required"}


class FormDocumentError(ValueError):
    """The document is refused; `problems` lists every problem found (up to MAX_PROBLEMS)."""

    def __init__(self, problems: list[str]):
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Text:
    kk: str
    ru: str
    en: str

    def get(self, language: str | None) -> str:
        return getattr(self, (language or "en")[:2], None) or self.en

    @classmethod
    def of(cls, data: dict | None) -> Text | None:
        return None if data is None else cls(kk=data["kk"], ru=data["ru"], en=data["en"])


@dataclass(frozen=True)
class Choice:
    code: str
    short_code: str
    text: Text


@dataclass(frozen=True)
class Question:
    code: str
    short_code: str
    type: str
    text: Text
    section: str
    help: Text | None = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = True
    max_length: int = DEFAULT_TEXT_LENGTH
    choices: tuple[Choice, ...] = ()
    critical: tuple = ()  # answers that are critical (booleans for yes/no, choice codes)
    figure: str | None = None
    party: str | None = None

    @property
    def choice_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)


@dataclass(frozen=True)
class Section:
    code: str
    title: Text
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    code: str
    expression: Expression
    text: Text


@dataclass(frozen=True)
class Party:
    code: str
    short_code: str
    name: Text


@dataclass(frozen=True)
class FormDocument:
    code: str
    short_code: str
    phase: str
    title: Text
    description: Text | None
    sections: tuple[Section, ...]
    questions: dict[str, Question]  # in the form's order
    rules: tuple[Rule, ...]
    parties: tuple[Party, ...]

    @property
    def is_protocol(self) -> bool:
        """A results protocol: it declares the parties and holds the figures."""
        return bool(self.parties)

    @property
    def figures(self) -> dict[str, str]:
        """figure → question code (registered_voters, ballots_cast, …)."""
        return {q.figure: q.code for q in self.questions.values() if q.figure and q.figure != VOTES}

    @property
    def party_votes(self) -> dict[str, str]:
        """party code → the question holding its votes, in the parties' order."""
        by_party = {q.party: q.code for q in self.questions.values() if q.figure == VOTES}
        return {p.code: by_party[p.code] for p in self.parties}


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _where(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


def schema_problems(document) -> list[str]:
    errors = sorted(_validator().iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{_where(e.absolute_path)}: {_schema_message(e)}" for e in errors]


def _schema_message(error) -> str:
    # jsonschema quotes the offending value whole; a big object would bury the point.
    return error.message if len(error.message) <= 300 else error.message[:297] + "..."


def form_document_parse(document) -> FormDocument:
    """The checked, parsed form; FormDocumentError lists every problem."""
    problems = schema_problems(document)
    if problems:
        raise FormDocumentError(problems)
    checker = _Checker()
    parsed = checker.read(document)
    if checker.problems:
        raise FormDocumentError(checker.problems)
    return parsed


class _Checker:
    """Reads a schema-valid document, collecting every semantic problem."""

    def __init__(self):
        self.problems: list[str] = []

    def bad(self, where: str, why: str) -> None:
        self.problems.append(f"{where}: {why}")

    def unique(self, items: list[tuple[str, str]], what: str) -> None:
        """items: (where, value); each repeated value is named once, at its repeat."""
        seen: dict[str, str] = {}
        for where, value in items:
            if value in seen:
                self.bad(where, f"{what} '{value}' is already used at {seen[value]}")
            else:
                seen[value] = where

    def read(self, document: dict) -> FormDocument:
        parties = tuple(Party(p["code"], p["short_code"], Text.of(p["name"])) for p in document.get("parties", []))
        self.unique([(f"parties[{i}].code", p.code) for i, p in enumerate(parties)], "party code")
        self.unique([(f"parties[{i}].short_code", p.short_code) for i, p in enumerate(parties)], "party short code")
        sections, questions, where_of = [], {}, {}
        for s, section in enumerate(document["sections"]):
            codes = []
            for q, data in enumerate(section["questions"]):
                where = f"sections[{s}].questions[{q}]"
                question = self.question(where, data, section["code"])
                where_of.setdefault(question.code, where)
                questions.setdefault(question.code, question)
                codes.append(question.code)
            sections.append(Section(section["code"], Text.of(section["title"]), tuple(codes)))
        all_questions = [
            (f"sections[{s}].questions[{q}]", data) for s, sec in enumerate(document["sections"]) for q, data in enumerate(sec["questions"])
        ]
        self.unique([(f"sections[{s}].code", sec["code"]) for s, sec in enumerate(document["sections"])], "section code")
        self.unique([(f"{w}.code", d["code"]) for w, d in all_questions], "question code")
        self.unique([(f"{w}.short_code", d["short_code"]) for w, d in all_questions], "question short code")
        self.protocol(parties, questions, where_of)
        rules = self.rules(document.get("rules", []), questions)
        return FormDocument(
            code=document["code"],
            short_code=document["short_code"],
            phase=document["phase"],
            title=Text.of(document["title"]),
            description=Text.of(document.get("description")),
            sections=tuple(sections),
            questions=questions,
            rules=rules,
            parties=parties,
        )

    def question(self, where: str, data: dict, section: str) -> Question:
        kind = data["type"]
        for key in sorted(set(data) - _COMMON_KEYS - _TYPE_KEYS[kind]):
            self.bad(f"{where}.{key}", f"a {kind} question has no '{key}'")
        if data["code"] in expressions.KEYWORDS:
            self.bad(f"{where}.code", f"'{data['code']}' is a word of the rules' language")
        choices = tuple(Choice(c["code"], c["short_code"], Text.of(c["text"])) for c in data.get("choices", []))
        if kind == "choice" and not choices:
            self.bad(f"{where}.choices", "a choice question needs its choices")
        self.unique([(f"{where}.choices[{i}].code", c.code) for i, c in enumerate(choices)], "choice code")
        self.unique([(f"{where}.choices[{i}].short_code", c.short_code) for i, c in enumerate(choices)], "choice short code")
        question = Question(
            code=data["code"],
            short_code=data["short_code"],
            type=kind,
            text=Text.of(data["text"]),
            section=section,
            help=Text.of(data.get("help")),
            required=data.get("required", False),
            minimum=data.get("min"),
            maximum=data.get("max"),
            integer=data.get("integer", True),
            max_length=data.get("max_length", DEFAULT_TEXT_LENGTH),
            choices=choices,
            critical=tuple(data.get("critical", ())),
            figure=data.get("figure"),
            party=data.get("party"),
        )
        if kind == "number":
            self.bounds(where, question)
        self.critical(where, question)
        return question

    def bounds(self, where: str, question: Question) -> None:
        low, high = question.minimum, question.maximum
        for key, value in (("min", low), ("max", high)):
            if value is None:
                continue
            if not math.isfinite(value) or abs(value) > 1e15:
                self.bad(f"{where}.{key}", "must be a finite number of at most 15 digits")
            elif question.integer and value != int(value):
                self.bad(f"{where}.{key}", "an integer question needs integer bounds")
        if low is not None and high is not None and low > high:
            self.bad(f"{where}.max", f"is below min ({high} < {low})")
        if question.party and question.figure != VOTES:
            self.bad(f"{where}.party", "only a question with figure 'votes' names a party")
        if question.figure == VOTES and not question.party:
            self.bad(f"{where}.party", "a votes question names its party")
        if question.figure and not question.integer:
            self.bad(f"{where}.integer", "protocol figures are whole numbers")

    def critical(self, where: str, question: Question) -> None:
        for i, answer in enumerate(question.critical):
            if question.type == "yes_no" and not isinstance(answer, bool):
                self.bad(f"{where}.critical[{i}]", "a yes/no question's critical answers are true or false")
            elif question.type == "choice" and answer not in question.choice_codes:
                self.bad(f"{where}.critical[{i}]", f"'{answer}' is not one of the question's choices")

    def protocol(self, parties: tuple[Party, ...], questions: dict[str, Question], where_of: dict[str, str]) -> None:
        tagged = [q for q in questions.values() if q.figure]
        if not parties:
            for q in tagged:
                self.bad(f"{where_of[q.code]}.figure", "only a results protocol (a form that declares its parties) holds figures")
            return
        figures: dict[str, str] = {}
        votes: dict[str, str] = {}
        known = {p.code for p in parties}
        for q in tagged:
            target, key = (votes, q.party) if q.figure == VOTES else (figures, q.figure)
            if q.figure == VOTES and q.party not in known:
                self.bad(f"{where_of[q.code]}.party", f"'{q.party}' is not one of the form's parties")
            elif key in target:
                self.bad(f"{where_of[q.code]}.figure", f"{key} is already held by '{target[key]}'")
            else:
                target[key] = q.code
        for party in parties:
            if party.code not in votes:
                self.bad("parties", f"no question holds the votes for '{party.code}'")
        for figure in REQUIRED_FIGURES:
            if figure not in figures:
                self.bad("sections", f"a results protocol needs a question with figure '{figure}'")

    def rules(self, data: list[dict], questions: dict[str, Question]) -> tuple[Rule, ...]:
        self.unique([(f"rules[{i}].code", r["code"]) for i, r in enumerate(data)], "rule code")
        types = {}
        for q in questions.values():
            if q.type == "number":
                types[q.code] = expressions.NUMBER
            elif q.type == "yes_no":
                types[q.code] = expressions.BOOLEAN
        rules = []
        for i, entry in enumerate(data):
            try:
                expression = expressions.parse(entry["expression"])
                unusable = sorted(n for n in expression.names if n in questions and n not in types)
                if unusable:
                    kinds = ", ".join(f"'{n}' is a {questions[n].type} question" for n in unusable)
                    raise ExpressionError(f"rules compute with number and yes/no questions only: {kinds}")
                expressions.check_types(expression, types)
            except ExpressionError as exc:
                self.bad(f"rules[{i}].expression", f"rule '{entry['code']}': {exc}")
                continue
            rules.append(Rule(entry["code"], expression, Text.of(entry["text"])))
        return tuple(rules)


def localized(document: FormDocument, language: str | None) -> dict:
    """The form as a client shows it, every text in one language (kk, ru or
    en; anything else reads English)."""

    def question(q: Question) -> dict:
        # Every key on every question (null or empty where the type has none), so clients read one shape.
        number = q.type == "number"
        return {
            "code": q.code,
            "short_code": q.short_code,
            "type": q.type,
            "text": q.text.get(language),
            "help": q.help.get(language) if q.help else "",
            "required": q.required,
            "min": q.minimum if number else None,
            "max": q.maximum if number else None,
            "integer": q.integer if number else None,
            "max_length": q.max_length if q.type == "text" else None,
            "choices": [{"code": c.code, "short_code": c.short_code, "text": c.text.get(language)} for c in q.choices],
            "critical": list(q.critical),
            "figure": q.figure,
            "party": q.party,
        }

    return {
        "code": document.code,
        "short_code": document.short_code,
        "phase": document.phase,
        "title": document.title.get(language),
        "description": document.description.get(language) if document.description else "",
        "parties": [{"code": p.code, "short_code": p.short_code, "name": p.name.get(language)} for p in document.parties],
        "sections": [
            {"code": s.code, "title": s.title.get(language), "questions": [question(document.questions[c]) for c in s.questions]}
            for s in document.sections
        ],
        "rules": [{"code": r.code, "expression": r.expression.text, "text": r.text.get(language)} for r in document.rules],
    }


def canonical_json(document) -> str:
    """The text a version's hash is taken over: keys sorted, compact, UTF-8 as is."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
