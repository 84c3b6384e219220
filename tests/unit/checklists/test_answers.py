"""The answer validator: per-question errors (what the filing API answers as
400 field errors), normalized values, QA rule results with their numbers, and
critical answers."""

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.answers import BROKEN, NOT_EVALUATED, PASSED, answers_check
from checklists.formdoc import form_document_parse

from .conftest import demo_document

COUNTING = form_document_parse(demo_document("counting"))
OPENING = form_document_parse(demo_document("opening"))


def protocol(**overrides) -> dict:
    """A consistent counting protocol of a station of 1,200 voters."""
    answers = {
        "observers_admitted": True, "ballots_shown": True, "validity_consistent": True, "unauthorized_present": False,
        "unauthorized_interfering": False, "figures_changed": False,
        "registered_voters": 1200, "ballots_received": 1250, "ballots_issued": 760, "ballots_spoiled": 4, "ballots_unused": 486,
        "ballots_cast": 758, "ballots_invalid": 8,
        "votes_nur_otan": 530, "votes_ak_zhol": 85, "votes_peoples_party": 70, "votes_auyl": 40, "votes_adal": 25,
        "protocol_signed": True, "protocol_presigned": False, "copy_given": True, "protocol_posted": True, "assessment": "good",
    }  # fmt: skip
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def test_a_consistent_protocol_has_no_errors_every_rule_passed_and_nothing_critical():
    check = answers_check(COUNTING, protocol())
    assert check.ok and check.errors == {}
    assert [(r.code, r.outcome) for r in check.rules] == [
        ("ballots_accounted", PASSED), ("no_extra_ballots", PASSED), ("ballots_add_up", PASSED), ("turnout_at_most_100", PASSED),
    ]  # fmt: skip
    assert check.critical == () and check.broken_rules == ()
    assert check.values["ballots_cast"] == 758 and "comments" not in check.values


def test_each_answer_that_does_not_fit_is_named_with_why():
    check = answers_check(
        COUNTING,
        protocol(
            observers_admitted="maybe", registered_voters=0, ballots_cast=10001, ballots_invalid=2.5, votes_adal="many",
            assessment="excellent", comments=["not", "text"], protocol_photo="protocol.jpg", unknown_question=1, ballots_received=True,
            copy_given=None,
        ),
    )  # fmt: skip
    assert check.errors == {
        "observers_admitted": ["Answer yes or no."],
        "registered_voters": ["Must be at least 1."],
        "ballots_cast": ["Must be at most 10000."],
        "ballots_invalid": ["Must be a whole number."],
        "votes_adal": ["Must be a whole number."],
        "assessment": ["Choose one of: very_good, good, bad, very_bad."],
        "comments": ["Must be text."],
        "protocol_photo": ["Name a photo sent with this checklist."],
        "unknown_question": ["Unknown question."],
        "ballots_received": ["Must be a number."],
        "copy_given": ["This question is required."],
    }
    # Rules over answers with errors are not evaluated, never judged on bad numbers.
    assert {r.code: r.outcome for r in check.rules}["ballots_accounted"] == NOT_EVALUATED


def test_errors_are_in_the_readers_language():
    with translation.override("ru"):
        check = answers_check(COUNTING, protocol(copy_given=None, registered_voters=0))
    assert check.errors["copy_given"] == ["Это обязательный вопрос."]
    assert check.errors["registered_voters"] == ["Должно быть не меньше 1."]


def test_answers_are_normalized_from_text_as_a_web_form_or_sms_sends_them():
    check = answers_check(
        COUNTING, protocol(observers_admitted="YES", figures_changed="no", ballots_cast=" 758 ", ballots_invalid=8.0, protocol_photo="p0.jpg"),
        photos={"p0.jpg"},
    )  # fmt: skip
    assert check.ok
    assert check.values["observers_admitted"] is True and check.values["figures_changed"] is False
    assert check.values["ballots_cast"] == 758 and isinstance(check.values["ballots_invalid"], int)
    assert check.values["protocol_photo"] == "p0.jpg"


def test_blank_optional_answers_are_left_out_and_blank_required_ones_are_missing():
    check = answers_check(COUNTING, protocol(comments="  ", protocol_photo="", assessment=""))
    assert check.errors == {"assessment": ["This question is required."]}
    assert "comments" not in check.values and "protocol_photo" not in check.values


def test_a_broken_rule_carries_the_numbers_on_each_side():
    check = answers_check(COUNTING, protocol(ballots_unused=491, ballots_cast=770))
    broken = {r.code: r for r in check.broken_rules}
    assert set(broken) == {"ballots_accounted", "no_extra_ballots", "ballots_add_up"}
    assert broken["ballots_accounted"].sides == (
        ("ballots_received", "1250"),
        ("ballots_issued + ballots_spoiled + ballots_unused", "1255"),
    )
    assert broken["no_extra_ballots"].sides == (("ballots_cast", "770"), ("ballots_issued", "760"))
    assert broken["ballots_accounted"].values == {
        "ballots_issued": 760,
        "ballots_received": 1250,
        "ballots_spoiled": 4,
        "ballots_unused": 491,
    }
    assert broken["ballots_accounted"].text.en == "Every ballot received is issued, spoiled or unused"


def test_turnout_over_100_percent_breaks_its_rule_with_the_ratio():
    check = answers_check(COUNTING, protocol(registered_voters=700))
    (broken,) = check.broken_rules
    assert broken.code == "turnout_at_most_100"
    assert broken.sides == (("ballots_issued / registered_voters", "1.0857"), ("1", "1"))


def test_a_rule_over_an_unanswered_optional_question_is_not_evaluated():
    answers = {
        "observers_admitted": True, "commission_members_total": 9, "commission_members_present": 5, "unauthorized_present": False,
        "unauthorized_interfering": True, "voter_list_present": True, "ballots_counted": True, "video_camera_working": True,
        "ballot_box_shown_empty": False, "ballot_box_sealed": True, "opened_on_time": True, "assessment": "very_bad",
    }  # fmt: skip
    check = answers_check(OPENING, answers)
    assert {r.code: r.outcome for r in check.rules} == {
        "members_present_within_total": PASSED,
        "quorum": BROKEN,  # 5 < 2 * 9 / 3
        "interference_implies_presence": BROKEN,
    }
    assert [(c.question, c.answer) for c in check.critical] == [
        ("unauthorized_interfering", True), ("ballot_box_shown_empty", False), ("assessment", "very_bad"),
    ]  # fmt: skip
    without = answers_check(OPENING, {k: v for k, v in answers.items() if k != "commission_members_present"})
    assert without.errors == {"commission_members_present": ["This question is required."]}
    assert {r.code: r.outcome for r in without.rules}["quorum"] == NOT_EVALUATED
    assert {r.code: r.reason for r in without.rules}["quorum"] == "unanswered: commission_members_present"


ANSWER_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*COUNTING.questions, "unknown", ""]), ANSWER_VALUES))
def test_any_answers_give_a_result_never_an_exception(answers):
    check = answers_check(COUNTING, answers, photos={"p.jpg"})
    assert set(check.values).isdisjoint(check.errors)
    assert set(check.values) | set(check.errors) <= set(COUNTING.questions) | set(answers)
    for code, value in check.values.items():
        question = COUNTING.questions[code]
        if question.type == "number":
            assert question.minimum <= value <= question.maximum and isinstance(value, int) and not isinstance(value, bool)
        elif question.type == "yes_no":
            assert isinstance(value, bool)
