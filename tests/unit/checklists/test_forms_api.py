"""GET /api/v1/forms/?election=CODE: the current version of each form, in the
caller's language, for people of organizations accredited for the election."""

import pytest

from checklists.services.forms import form_load

from .conftest import demo_document

FORMS = "/api/v1/forms/"


@pytest.fixture
def forms(world):
    for name in ("counting", "opening", "voting", "closing"):
        form_load(election=world.election, document=demo_document(name))
    return world


def test_an_accredited_observer_gets_every_form_in_phase_order_with_its_current_version(forms, as_user):
    response = as_user(forms.observer).get(FORMS, {"election": forms.election.code})
    assert response.status_code == 200
    body = response.json()
    assert [(f["code"], f["short_code"], f["phase"], f["version"]) for f in body] == [
        ("opening", "OP", "opening", 1), ("voting", "VT", "voting", 1), ("closing", "CL", "closing", 1), ("counting", "CN", "counting", 1),
    ]  # fmt: skip
    counting = body[3]
    assert counting["language"] == "en" and counting["title"] == "Count and results protocol"
    assert [p["code"] for p in counting["parties"]] == ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]
    assert [s["code"] for s in counting["sections"]] == ["count", "protocol", "votes", "after"]
    assert counting["rules"][0] == {
        "code": "ballots_accounted",
        "expression": "ballots_received == ballots_issued + ballots_spoiled + ballots_unused",
        "text": "Every ballot received is issued, spoiled or unused",
    }
    assert body[0]["parties"] == []


def test_a_new_version_replaces_the_old_one_in_the_list(forms, as_user):
    changed = demo_document("opening")
    changed["title"]["en"] = "Opening (revised)"
    form_load(election=forms.election, document=changed)
    opening = as_user(forms.observer).get(FORMS, {"election": forms.election.code}).json()[0]
    assert (opening["version"], opening["title"]) == (2, "Opening (revised)")


@pytest.mark.parametrize(("language", "title", "question"), [
    ("ru", "Открытие избирательного участка", "Были ли урны надлежащим образом опечатаны?"),
    ("kk", "Сайлау учаскесінің ашылуы", "Жәшіктер тиісінше мөрленді ме?"),
    ("en", "Opening of the polling station", "Were the ballot boxes properly sealed?"),
    ("de", "Opening of the polling station", "Were the ballot boxes properly sealed?"),
])  # fmt: skip
def test_texts_come_in_the_callers_language(forms, as_user, language, title, question):
    response = as_user(forms.observer).get(FORMS, {"election": forms.election.code}, HTTP_ACCEPT_LANGUAGE=language)
    opening = response.json()[0]
    assert opening["title"] == title
    sealed = next(q for s in opening["sections"] for q in s["questions"] if q["code"] == "ballot_box_sealed")
    assert sealed["text"] == question and sealed["critical"] == [False]
    assert opening["language"] == (language if language != "de" else "en")


def test_the_language_cookie_set_at_activation_is_the_observers_language(forms, client):
    client.force_login(forms.observer.user)
    client.cookies["django_language"] = "ru"
    assert client.get(FORMS, {"election": forms.election.code}).json()[1]["title"] == "Голосование"


@pytest.mark.parametrize("who", ["observer", "coordinator", "auditor", "other_observer", "platform_auditor", "superuser"])
def test_people_of_accredited_organizations_platform_auditors_and_superusers_read_the_forms(forms, as_user, who):
    response = as_user(getattr(forms, who)).get(FORMS, {"election": forms.election.code})
    assert response.status_code == 200 and len(response.json()) == 4


@pytest.mark.parametrize("who", ["revoked_observer", "unaccredited_observer"])
def test_organizations_without_an_active_accreditation_are_refused(forms, as_user, who):
    response = as_user(getattr(forms, who)).get(FORMS, {"election": forms.election.code})
    assert response.status_code == 403
    assert response.json() == {"detail": "Your organization is not accredited to observe this election.", "code": "not_accredited"}


def test_a_user_without_a_monitoring_profile_is_refused(forms, as_user, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="x")
    assert as_user(stranger).get(FORMS, {"election": forms.election.code}).status_code == 403


def test_anonymous_callers_are_refused(forms, api_client):
    assert api_client.get(FORMS, {"election": forms.election.code}).status_code in (401, 403)


@pytest.mark.parametrize(("params", "errors"), [
    ({}, {"election": ["This field is required."]}),
    ({"election": "nope"}, {"election": ["Unknown election."]}),
    ({"election": "a b"}, {"election": ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.']}),
])  # fmt: skip
def test_a_missing_or_unknown_election_is_a_400_with_field_messages(forms, as_user, params, errors):
    response = as_user(forms.observer).get(FORMS, params)
    assert response.status_code == 400 and response.json() == errors


def test_an_election_without_forms_lists_none(world, as_user):
    assert as_user(world.observer).get(FORMS, {"election": world.election.code}).json() == []


def test_the_list_takes_a_fixed_number_of_queries(forms, as_user, django_assert_max_num_queries):
    client = as_user(forms.observer)
    with django_assert_max_num_queries(8):
        assert client.get(FORMS, {"election": forms.election.code}).status_code == 200
