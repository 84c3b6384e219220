"""Form documents: the shipped forms check, and every kind of mistake in a
document is refused with where it is and why."""

import pytest

from checklists.formdoc import FormDocumentError, canonical_json, form_document_parse, localized

from .conftest import demo_document


def problems_of(document) -> list[str]:
    with pytest.raises(FormDocumentError) as caught:
        form_document_parse(document)
    return caught.value.problems


@pytest.mark.parametrize("name", ["opening", "voting", "closing", "counting"])
def test_the_shipped_forms_check_and_have_every_text_in_three_languages(name):
    document = form_document_parse(demo_document(name))
    assert document.code == name and document.phase == name
    for question in document.questions.values():
        assert all(getattr(question.text, language).strip() for language in ("kk", "ru", "en"))
        assert len({question.text.kk, question.text.ru, question.text.en}) >= 2  # translated, not copied
    critical = [q.code for q in document.questions.values() if q.critical]
    assert critical, "every phase has answers a coordinator must see at once"


def test_the_counting_form_is_the_results_protocol_of_the_five_parties():
    document = form_document_parse(demo_document("counting"))
    assert [(p.code, p.short_code, p.name.en) for p in document.parties] == [
        ("nur_otan", "NO", "Nur Otan"),
        ("ak_zhol", "AZ", "Ak Zhol"),
        ("peoples_party", "PP", "People's Party of Kazakhstan"),
        ("auyl", "AU", "Auyl"),
        ("adal", "AD", "Adal"),
    ]
    assert document.figures == {
        f: f
        for f in (
            "registered_voters",
            "ballots_received",
            "ballots_issued",
            "ballots_spoiled",
            "ballots_unused",
            "ballots_cast",
            "ballots_invalid",
        )
    }
    assert document.party_votes == {p: f"votes_{p}" for p in ("nur_otan", "ak_zhol", "peoples_party", "auyl", "adal")}
    rules = {r.code: r.expression.text for r in document.rules}
    assert rules["ballots_accounted"] == "ballots_received == ballots_issued + ballots_spoiled + ballots_unused"
    assert document.questions["protocol_presigned"].critical == (True,)


def test_an_opening_checklist_marks_an_unsealed_ballot_box_critical():
    document = form_document_parse(demo_document("opening"))
    assert document.questions["ballot_box_sealed"].critical == (False,)
    assert document.questions["assessment"].critical == ("very_bad",)


def test_schema_problems_name_the_place(counting_document):
    counting_document["phase"] = "tabulation"
    counting_document["sections"][1]["questions"][0]["type"] = "integer"
    del counting_document["title"]["kk"]
    counting_document["sections"][0]["questions"][0]["colour"] = "red"
    problems = problems_of(counting_document)
    assert "phase: 'tabulation' is not one of ['opening', 'voting', 'closing', 'counting']" in problems
    assert "sections[1].questions[0].type: 'integer' is not one of ['yes_no', 'number', 'choice', 'text', 'photo']" in problems
    assert "title: 'kk' is a required property" in problems
    assert "sections[0].questions[0]: Additional properties are not allowed ('colour' was unexpected)" in problems


def test_a_document_that_is_not_an_object_is_refused():
    assert problems_of([1, 2]) == ["document: [1, 2] is not of type 'object'"]


def test_codes_must_be_unique_within_the_form(counting_document):
    questions = counting_document["sections"][1]["questions"]
    questions[1]["code"] = "registered_voters"
    questions[2]["short_code"] = "P1"
    problems = problems_of(counting_document)
    assert "sections[1].questions[1].code: question code 'registered_voters' is already used at sections[1].questions[0].code" in problems
    assert (
        "sections[1].questions[2].short_code: question short code 'P1' is already used at sections[1].questions[0].short_code" in problems
    )


def test_rules_are_checked_when_the_form_is_loaded(counting_document):
    counting_document["rules"] += [
        {"code": "typo", "expression": "ballots_cast <= ballots_isued", "text": {"kk": "x", "ru": "x", "en": "x"}},
        {"code": "syntax", "expression": "ballots_cast =< ballots_issued", "text": {"kk": "x", "ru": "x", "en": "x"}},
        {"code": "text_question", "expression": "comments == 1", "text": {"kk": "x", "ru": "x", "en": "x"}},
        {"code": "not_a_condition", "expression": "ballots_cast + 1", "text": {"kk": "x", "ru": "x", "en": "x"}},
        {"code": "mixed", "expression": "ballots_cast + copy_given > 0", "text": {"kk": "x", "ru": "x", "en": "x"}},
    ]
    assert problems_of(counting_document) == [
        "rules[4].expression: rule 'typo': unknown question 'ballots_isued'",
        "rules[5].expression: rule 'syntax': unexpected character '=' (use == to compare) (at character 14)",
        "rules[6].expression: rule 'text_question': rules compute with number and yes/no questions only: 'comments' is a text question",
        "rules[7].expression: rule 'not_a_condition': the rule must be a yes/no condition, and this is a number",
        "rules[8].expression: rule 'mixed': '+' needs a number, and `copy_given` is a yes/no condition",
    ]


def test_question_settings_must_fit_the_question(counting_document):
    count, protocol, votes, after = (s["questions"] for s in counting_document["sections"])
    protocol[0].update({"min": 10, "max": 5})
    protocol[1]["min"] = 0.5
    count[0]["critical"] = ["no"]
    after[5]["critical"] = ["terrible"]
    count[1]["max"] = 3
    after[6]["choices"] = after[5]["choices"]
    problems = problems_of(counting_document)
    assert "sections[0].questions[1].max: a yes_no question has no 'max'" in problems
    assert "sections[1].questions[0].max: is below min (5 < 10)" in problems
    assert "sections[1].questions[1].min: an integer question needs integer bounds" in problems
    assert "sections[0].questions[0].critical[0]: a yes/no question's critical answers are true or false" in problems
    assert "sections[3].questions[5].critical[0]: 'terrible' is not one of the question's choices" in problems
    assert "sections[3].questions[6].choices: a text question has no 'choices'" in problems


def test_a_results_protocol_needs_a_votes_question_per_party_and_the_quick_counts_figures(counting_document):
    protocol, votes = counting_document["sections"][1]["questions"], counting_document["sections"][2]["questions"]
    votes[4]["party"] = "nur_otan"
    del protocol[5]["figure"]
    counting_document["parties"].append({"code": "green", "short_code": "GR", "name": {"kk": "Жасыл", "ru": "Зелёные", "en": "Greens"}})
    problems = problems_of(counting_document)
    assert "sections[2].questions[4].figure: nur_otan is already held by 'votes_nur_otan'" in problems
    assert "parties: no question holds the votes for 'adal'" in problems
    assert "parties: no question holds the votes for 'green'" in problems
    assert "sections: a results protocol needs a question with figure 'ballots_cast'" in problems


def test_figures_belong_to_a_results_protocol_only(counting_document):
    del counting_document["parties"]
    problems = problems_of(counting_document)
    assert "sections[1].questions[0].figure: only a results protocol (a form that declares its parties) holds figures" in problems


def test_localized_gives_every_text_in_one_language_and_one_shape_per_question():
    document = form_document_parse(demo_document("counting"))
    russian = localized(document, "ru")
    assert russian["title"] == "Подсчёт голосов и итоговый протокол"
    assert russian["parties"][2] == {"code": "peoples_party", "short_code": "PP", "name": "Народная партия Казахстана"}
    questions = [q for s in russian["sections"] for q in s["questions"]]
    assert {frozenset(q) for q in questions} == {frozenset(questions[0])}
    cast = next(q for q in questions if q["code"] == "ballots_cast")
    assert cast == {
        "code": "ballots_cast", "short_code": "P6", "type": "number", "text": "Число бюллетеней, обнаруженных в урнах", "help": "",
        "required": True, "min": 0, "max": 10000, "integer": True, "max_length": None, "choices": [], "critical": [],
        "figure": "ballots_cast", "party": None,
    }  # fmt: skip
    assert localized(document, "kk")["sections"][0]["title"] == "Санау"
    assert localized(document, "de")["title"] == "Count and results protocol"


def test_canonical_json_ignores_key_order_and_layout():
    assert canonical_json({"b": 1, "a": [1, {"y": "ы", "x": 2}]}) == '{"a":[1,{"x":2,"y":"ы"}],"b":1}'
