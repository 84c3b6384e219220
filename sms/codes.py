"""The SMS codes: one text message in, one command or one exact problem out.

    A 02001                      arrived at station 02001
    Q 02001                      all quiet
    L 02001                      left
    R 02001 BS 0930 free text    an incident: category short code, optional local time HHMM, optional text
    C 02001 OP A1 Y A2 7 D3 2    a checklist: form short code, then question short codes and answers
    P 02001 NO 1234 AZ 345 P6 9  the results protocol: party short codes (their votes) and figure questions
    HELP or ?                    the codes (HELP R: the categories; HELP C or HELP P: the forms)

Parts are separated by spaces or commas (semicolons too). Codes are read
case-insensitively, and Cyrillic letters that look like Latin ones are read as
those (phones in Kazakhstan often type Cyrillic); Kazakh Қ is read as Q, as in
the Kazakh Latin alphabet, and Я (a mirrored R) and Л as R and L, which a
Russian keyboard lacks. An answer may be glued to its question (`A1Y`,
`NO1234`) or joined by `=` or `:`. Free text (an incident's, a text
question's) is kept as typed.

Pure: `sms_parse(text, vocabulary)` never raises, whatever the text; it returns a
command or a `ParseError` whose `message()` renders in the active language.
The station is checked against the election by the caller (it needs the
database); the codes of categories, forms, questions and parties are checked
here against the `Vocabulary` the caller builds from data.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext

# Cyrillic letters read as the Latin letter they look like (after upper-casing).
_LOOKALIKES = str.maketrans(
    {
        "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "К": "K", "М": "M", "О": "O", "Р": "P",
        "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Қ": "Q",
        # Not look-alikes, but the nearest a Russian keyboard has for the codes R and L.
        "Я": "R", "Л": "L",
    }
)  # fmt: skip
_TOKEN = re.compile(r"[^\s,;]+")
_NUMBER = re.compile(r"[0-9]{1,9}")
_TIME = re.compile(r"([0-9]{2})([0-9]{2})|([0-9]{1,2})[:.]([0-9]{2})")
_STATION = re.compile(r"[A-Z0-9][A-Z0-9/_-]{0,31}")
# How much of an unknown word a reply repeats (SMS are short).
_ECHO = 16

CHECKINS = {"A": "arrived", "Q": "all_quiet", "L": "left"}
INCIDENT, CHECKLIST, PROTOCOL = "R", "C", "P"


def normalize(word: str) -> str:
    """A code as the parser compares it: upper case, Cyrillic look-alikes as Latin."""
    return word.upper().translate(_LOOKALIKES)


def _words(*words: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in words)


HELP_WORDS = _words("HELP", "?", "ПОМОЩЬ", "КӨМЕК")
YES = _words("Y", "YES", "1", "+", "ДА", "Д", "ИӘ", "ИЯ")
NO = _words("N", "NO", "0", "-", "НЕТ", "ЖОҚ", "ЖОК")


# --- What the codes mean in an election (built by the caller from data) ---


@dataclass(frozen=True)
class QuestionCodes:
    code: str
    type: str  # yes_no, number, choice, text, photo (checklists.formdoc)
    choices: Mapping[str, str] = field(default_factory=dict)  # choice short code -> choice code


@dataclass(frozen=True)
class FormCodes:
    code: str
    short_code: str
    questions: Mapping[str, QuestionCodes]  # by question short code
    parties: Mapping[str, str] = field(default_factory=dict)  # party short code -> its votes question's code

    @property
    def is_protocol(self) -> bool:
        return bool(self.parties)


@dataclass(frozen=True)
class Vocabulary:
    categories: Mapping[str, str] = field(default_factory=dict)  # short code -> category code
    forms: Mapping[str, FormCodes] = field(default_factory=dict)  # by form short code

    @property
    def protocol(self) -> FormCodes | None:
        return next((form for form in self.forms.values() if form.is_protocol), None)


# --- What a message says ---


@dataclass(frozen=True)
class HelpCommand:
    topic: str = ""  # "" (the codes), R (the categories), C or P (the forms and parties)


@dataclass(frozen=True)
class CheckInCommand:
    station: str
    checkin_kind: str  # arrived, all_quiet, left


@dataclass(frozen=True)
class IncidentCommand:
    station: str
    category: str  # the category's code
    local_time: dt.time | None  # in the station's zone; None: the message's time
    text: str


@dataclass(frozen=True)
class AnswersCommand:
    """A checklist (C) or the results protocol (P): answers by question code."""

    station: str
    form: str  # the form's code
    answers: Mapping[str, object]
    protocol: bool = False


Command = HelpCommand | CheckInCommand | IncidentCommand | AnswersCommand


@dataclass(frozen=True)
class ParseError:
    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def message(self) -> str:
        """The problem, in the active language."""
        return MESSAGES[self.code]() % dict(self.params)


MESSAGES = {
    "empty": lambda: gettext("The message is empty; send HELP for the codes."),
    "unknown_command": lambda: gettext("%(word)s is not a code; send HELP"),
    "station_missing": lambda: gettext("Write the station number after %(command)s, e.g. %(command)s 02001"),
    "bad_station": lambda: gettext("%(word)s is not a station number; send HELP"),
    "unexpected": lambda: gettext("Nothing may follow the station in %(command)s; remove %(word)s"),
    "category_missing": lambda: gettext("Write the category's code after the station; send HELP"),
    "unknown_category": lambda: gettext("%(word)s is not a category; send HELP"),
    "bad_time": lambda: gettext("%(word)s is not a time; write HHMM, e.g. 0930"),
    "form_missing": lambda: gettext("Write the form's code after the station; send HELP"),
    "unknown_form": lambda: gettext("%(word)s is not a form; send HELP"),
    "protocol_form": lambda: gettext("%(word)s is the results protocol: send it with P"),
    "no_protocol": lambda: gettext("This election has no results protocol"),
    "answers_missing": lambda: gettext("Write the answers after the form's code, e.g. A1 Y"),
    "figures_missing": lambda: gettext("Write the figures after the station, e.g. NO 1234"),
    "unknown_question": lambda: gettext("%(word)s is not a question of form %(form)s; send HELP"),
    "unknown_figure": lambda: gettext("%(word)s is not a party or figure of the protocol; send HELP"),
    "answer_missing": lambda: gettext("%(question)s has no answer"),
    "twice": lambda: gettext("%(question)s is answered twice"),
    "yes_no": lambda: gettext("%(question)s: answer Y or N, not %(word)s"),
    "number": lambda: gettext("%(question)s: answer a whole number, not %(word)s"),
    "choice": lambda: gettext("%(question)s: answer one of %(choices)s, not %(word)s"),
    "photo": lambda: gettext("%(question)s needs a photo: answer it in the app"),
}

ParseResult = Command | ParseError


@dataclass(frozen=True)
class _Token:
    text: str  # as typed
    word: str  # normalized
    start: int


class _Problem(Exception):
    def __init__(self, code: str, **params: str):
        self.error = ParseError(code, params)


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO else text[: _ECHO - 1] + "…"


def sms_parse(text: str, vocabulary: Vocabulary) -> ParseResult:
    """The command `text` holds, or the first problem found in it."""
    tokens = [_Token(m.group(), normalize(m.group()), m.start()) for m in _TOKEN.finditer(text or "")]
    if not tokens:
        return ParseError("empty")
    try:
        return _command(text, tokens, vocabulary)
    except _Problem as problem:
        return problem.error


def _command(text: str, tokens: list[_Token], vocabulary: Vocabulary) -> Command:
    head = tokens[0].word
    if head in HELP_WORDS:
        topic = tokens[1].word if len(tokens) > 1 else ""
        return HelpCommand(topic=topic if topic in (INCIDENT, CHECKLIST, PROTOCOL) else "")
    if head in CHECKINS:
        station = _station(tokens, head)
        if len(tokens) > 2:
            raise _Problem("unexpected", command=head, word=_echo(tokens[2].text))
        return CheckInCommand(station=station, checkin_kind=CHECKINS[head])
    if head == INCIDENT:
        return _incident(text, tokens, vocabulary)
    if head == CHECKLIST:
        return _checklist(text, tokens, vocabulary)
    if head == PROTOCOL:
        return _protocol(text, tokens, vocabulary)
    raise _Problem("unknown_command", word=_echo(tokens[0].text))


def _station(tokens: list[_Token], command: str) -> str:
    if len(tokens) < 2:
        raise _Problem("station_missing", command=command)
    word = tokens[1].word
    if not _STATION.fullmatch(word):
        raise _Problem("bad_station", word=_echo(tokens[1].text))
    return word


def _rest(text: str, tokens: list[_Token], index: int) -> str:
    """The text as typed from token `index` on."""
    return text[tokens[index].start :].strip() if index < len(tokens) else ""


def _incident(text: str, tokens: list[_Token], vocabulary: Vocabulary) -> IncidentCommand:
    station = _station(tokens, INCIDENT)
    if len(tokens) < 3:
        raise _Problem("category_missing")
    category = vocabulary.categories.get(tokens[2].word)
    if category is None:
        raise _Problem("unknown_category", word=_echo(tokens[2].text))
    local_time, next_index = None, 3
    if len(tokens) > 3 and _TIME.fullmatch(tokens[3].word):
        local_time, next_index = _time(tokens[3]), 4
    return IncidentCommand(station=station, category=category, local_time=local_time, text=_rest(text, tokens, next_index))


def _time(token: _Token) -> dt.time:
    match = _TIME.fullmatch(token.word)
    hours, minutes = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    if int(hours) > 23 or int(minutes) > 59:
        raise _Problem("bad_time", word=_echo(token.text))
    return dt.time(int(hours), int(minutes))


def _checklist(text: str, tokens: list[_Token], vocabulary: Vocabulary) -> AnswersCommand:
    station = _station(tokens, CHECKLIST)
    if len(tokens) < 3:
        raise _Problem("form_missing")
    form = vocabulary.forms.get(tokens[2].word)
    if form is None:
        raise _Problem("unknown_form", word=_echo(tokens[2].text))
    if form.is_protocol:
        raise _Problem("protocol_form", word=form.short_code)
    if len(tokens) < 4:
        raise _Problem("answers_missing")
    answers = _answers(text, tokens, 3, form.questions, unknown=lambda word: _Problem("unknown_question", word=word, form=form.short_code))
    return AnswersCommand(station=station, form=form.code, answers=answers)


def _protocol(text: str, tokens: list[_Token], vocabulary: Vocabulary) -> AnswersCommand:
    station = _station(tokens, PROTOCOL)
    form = vocabulary.protocol
    if form is None:
        raise _Problem("no_protocol")
    if len(tokens) < 3:
        raise _Problem("figures_missing")
    # A party's short code stands for its votes; the form's other questions keep theirs.
    figures = {short: QuestionCodes(code=question, type="number") for short, question in form.parties.items()}
    codes = {**form.questions, **figures}
    answers = _answers(text, tokens, 2, codes, unknown=lambda word: _Problem("unknown_figure", word=word))
    return AnswersCommand(station=station, form=form.code, answers=answers, protocol=True)


def _split(token: _Token, codes: Mapping[str, QuestionCodes]) -> tuple[str, str | None] | None:
    """(question short code, the answer glued to it or None), or None if no question matches."""
    word = token.word
    if word in codes:
        return word, None
    for mark in "=:":
        if mark in word:
            short, _mark, answer = word.partition(mark)
            return (short, answer or None) if short in codes else None
    for length in range(len(word) - 1, 0, -1):
        if word[:length] in codes:
            return word[:length], word[length:]
    return None


def _answers(text: str, tokens: list[_Token], index: int, codes: Mapping[str, QuestionCodes], *, unknown) -> dict[str, object]:
    answers: dict[str, object] = {}
    while index < len(tokens):
        token = tokens[index]
        split = _split(token, codes)
        if split is None:
            raise unknown(_echo(token.text))
        short, glued = split
        question = codes[short]
        if question.code in answers:
            raise _Problem("twice", question=short)
        if question.type == "text":
            # A text answer runs to the end of the message, as typed.
            if glued is not None:
                answer = text[token.start + len(token.text) - len(glued) :].strip()
            else:
                answer = _rest(text, tokens, index + 1)
            if not answer:
                raise _Problem("answer_missing", question=short)
            answers[question.code] = answer
            break
        if glued is None:
            index += 1
            if index >= len(tokens):
                raise _Problem("answer_missing", question=short)
            glued = tokens[index].word
        answers[question.code] = _answer(short, question, glued)
        index += 1
    return answers


def _answer(short: str, question: QuestionCodes, word: str) -> object:
    echo = _echo(word)
    if question.type == "yes_no":
        if word in YES:
            return True
        if word in NO:
            return False
        raise _Problem("yes_no", question=short, word=echo)
    if question.type == "number":
        if not _NUMBER.fullmatch(word):
            raise _Problem("number", question=short, word=echo)
        return int(word)
    if question.type == "choice":
        if word not in question.choices:
            raise _Problem("choice", question=short, word=echo, choices="/".join(question.choices))
        return question.choices[word]
    raise _Problem("photo", question=short)
