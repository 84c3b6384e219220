"""The SMS codes parser (sms.codes), over the shipped category short codes and
the demo's four forms: each code, Cyrillic look-alikes, separators, the exact
problems, and a fuzz: any text gives a command or a problem, never an exception."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.formdoc import form_document_parse
from sms.codes import AnswersCommand, CheckInCommand, HelpCommand, IncidentCommand, ParseError, Vocabulary, sms_parse
from sms.data import category_codes
from sms.vocabulary import vocabulary_of

FORMS = Path(__file__).resolve().parents[3] / "checklists" / "data"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    documents = [
        form_document_parse(json.loads((FORMS / f"{name}.json").read_text())) for name in ("opening", "voting", "closing", "counting")
    ]
    return vocabulary_of(categories=category_codes(), documents=documents)


def problem(text, vocabulary) -> str:
    result = sms_parse(text, vocabulary)
    assert isinstance(result, ParseError), result
    with translation.override("en"):
        return result.message()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("A 02001", "arrived"),
        ("q 02001", "all_quiet"),
        ("L,02001", "left"),
        ("  a ,, 02001  ", "arrived"),
        ("А 02001", "arrived"),  # Cyrillic А
        ("Қ 02001", "all_quiet"),  # Kazakh Қ, written Q in the Kazakh Latin alphabet
        ("л 02001", "left"),
    ],
)
def test_check_ins(text, kind, vocabulary):
    assert sms_parse(text, vocabulary) == CheckInCommand(station="02001", checkin_kind=kind)


def test_a_check_in_takes_nothing_after_the_station(vocabulary):
    assert problem("A 02001 all fine", vocabulary) == "Nothing may follow the station in A; remove all"


@pytest.mark.parametrize("text", ["HELP", "help", "?", "Помощь", "көмек", "НЕLP"])
def test_help(text, vocabulary):
    assert sms_parse(text, vocabulary) == HelpCommand()


@pytest.mark.parametrize(("text", "topic"), [("HELP R", "R"), ("? я", "R"), ("help с", "C"), ("HELP p", "P"), ("HELP me", "")])
def test_help_on_a_topic(text, topic, vocabulary):
    assert sms_parse(text, vocabulary) == HelpCommand(topic=topic)


def test_an_incident_with_time_and_text_keeps_the_text_as_typed(vocabulary):
    result = sms_parse("R 02001 BS 0930 man with a stack of ballots, again", vocabulary)
    assert result == IncidentCommand(
        station="02001", category="ballot_stuffing", local_time=dt.time(9, 30), text="man with a stack of ballots, again"
    )


@pytest.mark.parametrize(
    ("text", "category", "moment", "said"),
    [
        ("r 02001 bs", "ballot_stuffing", None, ""),
        ("R,02001,CV,14:05,Карусель", "carousel_voting", dt.time(14, 5), "Карусель"),
        ("я 02001 ВЅ 9.30", "ballot_stuffing", dt.time(9, 30), ""),  # Cyrillic я (for R), В, Ѕ
        ("R 02001 VC camera off since 10", "video_camera_off", None, "camera off since 10"),
        ("R 02001 OT 1000 people outside", "other", dt.time(10, 0), "people outside"),
    ],
)
def test_incidents(text, category, moment, said, vocabulary):
    assert sms_parse(text, vocabulary) == IncidentCommand(station="02001", category=category, local_time=moment, text=said)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The message is empty; send HELP for the codes."),
        (" , ", "The message is empty; send HELP for the codes."),
        ("X 02001", "X is not a code; send HELP"),
        ("A", "Write the station number after A, e.g. A 02001"),
        ("A №5", "№5 is not a station number; send HELP"),
        ("R 02001", "Write the category's code after the station; send HELP"),
        ("R 02001 BX 0930", "BX is not a category; send HELP"),
        ("R 02001 BS 2560 text", "2560 is not a time; write HHMM, e.g. 0930"),
        ("C 02001", "Write the form's code after the station; send HELP"),
        ("C 02001 ZZ A1 Y", "ZZ is not a form; send HELP"),
        ("C 02001 CN A1 Y", "CN is the results protocol: send it with P"),
        ("C 02001 OP", "Write the answers after the form's code, e.g. A1 Y"),
        ("C 02001 OP Z9 Y", "Z9 is not a question of form OP; send HELP"),
        ("C 02001 OP A1", "A1 has no answer"),
        ("C 02001 OP A1 Y A1 N", "A1 is answered twice"),
        ("C 02001 OP A1 maybe", "A1: answer Y or N, not MAYBE"),
        ("C 02001 OP A2 many", "A2: answer a whole number, not MANY"),
        ("C 02001 OP A2 ²", "A2: answer a whole number, not ²"),
        ("C 02001 OP D3 7", "D3: answer one of 1/2/3/4, not 7"),
        ("C 02001 OP C4 Y", "C4 needs a photo: answer it in the app"),
        ("P 02001", "Write the figures after the station, e.g. NO 1234"),
        ("P 02001 NO 12 XX 3", "XX is not a party or figure of the protocol; send HELP"),
        ("P 02001 NO 99999999999999999999", "NO: answer a whole number, not 999999999999999…"),
    ],
)
def test_problems(text, message, vocabulary):
    assert problem(text, vocabulary) == message


def test_problems_in_the_observers_language(vocabulary):
    with translation.override("ru"):
        russian = sms_parse("R 02001 BX", vocabulary).message()
    assert "BX" in russian and russian != "BX is not a category; send HELP"


def test_a_checklist_in_pairs_glued_or_joined(vocabulary):
    result = sms_parse("C 02001 OP A1 Y, A2 7 A4N A5=да B3:12 D3 2 D4 Всё спокойно, печать на месте", vocabulary)
    assert result == AnswersCommand(
        station="02001",
        form="opening",
        answers={
            "observers_admitted": True,
            "commission_members_total": 7,
            "unauthorized_present": False,
            "unauthorized_interfering": True,
            "ballots_received_opening": 12,
            "assessment": "good",
            "comments": "Всё спокойно, печать на месте",
        },
    )


def test_a_checklist_in_lower_case_cyrillic_look_alikes(vocabulary):
    # Cyrillic с, о, р, а, у (for Y) and Kazakh "жоқ" for no.
    result = sms_parse("с 02001 ор а1 у с1 жоқ", vocabulary)
    assert result == AnswersCommand(station="02001", form="opening", answers={"observers_admitted": True, "ballot_box_shown_empty": False})


def test_the_protocol_by_party_short_codes_and_figure_questions(vocabulary):
    result = sms_parse("P 02001 NO 1234, AZ 345 PP12 AU=0 AD:7 P6 1598", vocabulary)
    assert isinstance(result, AnswersCommand) and result.protocol and result.form == "counting"
    assert result.answers["votes_nur_otan"] == 1234 and result.answers["votes_ak_zhol"] == 345
    assert result.answers["votes_peoples_party"] == 12 and result.answers["votes_auyl"] == 0 and result.answers["votes_adal"] == 7
    assert result.answers["ballots_cast"] == 1598 and len(result.answers) == 6


def test_no_protocol_in_the_election():
    assert sms_parse("P 02001 NO 1", Vocabulary()).code == "no_protocol"


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=160))
def test_any_text_gives_a_command_or_a_problem(vocabulary, text):
    result = sms_parse(text, vocabulary)
    assert isinstance(result, HelpCommand | CheckInCommand | IncidentCommand | AnswersCommand | ParseError)
    if isinstance(result, ParseError):
        assert result.message()


WORDS = [
    "A",
    "Q",
    "L",
    "R",
    "C",
    "P",
    "HELP",
    "?",
    "02001",
    "BS",
    "OP",
    "CN",
    "NO",
    "A1",
    "A2",
    "D3",
    "D4",
    "Y",
    "N",
    "0930",
    "25:99",
    "=",
    ":",
    "Қ",
    "А",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=12), st.sampled_from([" ", ",", " , ", ";"]))
def test_code_like_text_gives_a_command_or_a_problem(vocabulary, words, separator):
    result = sms_parse(separator.join(words), vocabulary)
    assert isinstance(result, HelpCommand | CheckInCommand | IncidentCommand | AnswersCommand | ParseError)
    if isinstance(result, ParseError):
        assert result.message()
