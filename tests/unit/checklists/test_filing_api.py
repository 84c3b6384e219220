"""POST/GET /api/v1/checklists/: answers checked against the form version
filed, stored against it, idempotent like reports, the same gates."""

import io
import json

import pytest

from checklists.models import FiledAnswers
from checklists.services.forms import form_load
from reports.models import Checklist, ReportEvent, Submission
from testkit.images import jpeg_bytes

from .conftest import demo_document
from .filing import CHECKLISTS, checklist_payload, counting_answers, forms_load


@pytest.fixture
def forms(world):
    forms_load(world.election)
    return world


@pytest.fixture
def post(as_user, django_capture_on_commit_callbacks):
    def send(who, payload, *, photos=()):
        if photos:
            uploads = []
            for name, data in photos:
                upload = io.BytesIO(data)
                upload.name = name
                uploads.append(upload)
            payload = {**payload, "answers": json.dumps(payload["answers"]), "photos": uploads}
        with django_capture_on_commit_callbacks(execute=True):
            return as_user(who).post(CHECKLISTS, payload, format="multipart" if photos else "json")

    return send


def test_a_counting_protocol_is_filed_stored_against_its_version_and_processed(forms, post, as_user):
    response = post(forms.observer, checklist_payload(forms, answers=counting_answers(ballots_cast="618")))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["form"], body["form_version"], body["state"]) == ("counting", 1, "received")
    assert body["answers"]["ballots_cast"] == 618  # normalized: "618" is stored as a number
    checklist = Checklist.objects.get(pk=body["id"])
    assert checklist.kind == "checklist" and checklist.source == "api" and checklist.chain_seq == 1
    assert checklist.filed_answers.form_version.number == 1
    assert checklist.filed_answers.answers["registered_voters"] == 950
    assert ReportEvent.objects.filter(report=checklist, action="submitted").count() == 1
    checklist.refresh_from_db()
    assert checklist.state == "accepted"  # the eager pipeline ran on commit
    listed = as_user(forms.observer).get(CHECKLISTS, {"election": forms.election.code}).json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]


def test_the_same_checklist_again_is_answered_with_the_first_and_changed_content_is_a_conflict(forms, post):
    payload = checklist_payload(forms)
    first = post(forms.observer, payload)
    again = post(forms.observer, payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["content_sha256"] == first.json()["content_sha256"]
    changed = post(forms.observer, {**payload, "answers": counting_answers(votes_adal=23, ballots_cast=619)})
    assert changed.status_code == 409
    assert changed.json()["code"] == "client_uuid_conflict" and changed.json()["submission"] == first.json()["id"]
    assert Submission.objects.count() == 1 and FiledAnswers.objects.count() == 1


def test_a_400_names_each_answer_that_does_not_fit_and_each_unknown_or_missing_question(forms, post):
    answers = counting_answers(
        ballots_cast=10001, registered_voters="many", observers_admitted="perhaps", assessment="awful", copy_given=None, turnout=63
    )
    response = post(forms.observer, checklist_payload(forms, answers=answers))
    assert response.status_code == 400
    errors = response.json()["answers"]
    assert errors == {
        "turnout": ["Unknown question."],
        "observers_admitted": ["Answer yes or no."],
        "registered_voters": ["Must be a whole number."],
        "ballots_cast": ["Must be at most 10000."],
        "copy_given": ["This question is required."],
        "assessment": ["Choose one of: very_good, good, bad, very_bad."],
    }
    assert not Submission.objects.exists()


def test_errors_come_in_the_callers_language(forms, as_user):
    payload = checklist_payload(forms, answers=counting_answers(ballots_cast=-1))
    response = as_user(forms.observer).post(CHECKLISTS, payload, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response.json()["answers"]["ballots_cast"] != ["Must be at least 0."]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("form", "exit_poll", "No form exit_poll in election kz-test-2021."),
    ("form_version", 2, "Form counting has no version 2."),
    ("answers", "not json", "Send the answers as a JSON object: {\"question code\": value}."),
    ("answers", [1, 2], "Send the answers as a JSON object: {\"question code\": value}."),
])  # fmt: skip
def test_an_unknown_form_or_version_or_answers_not_an_object_is_refused(forms, post, field, value, message):
    response = post(forms.observer, checklist_payload(forms, **{field: value}))
    assert response.status_code == 400
    assert response.json()[field] == [message]


def test_answers_keep_the_version_they_were_filed_under_when_a_new_one_is_loaded(forms, post):
    first = post(forms.observer, checklist_payload(forms)).json()
    changed = demo_document("counting")
    changed["sections"][-1]["questions"] = [q for q in changed["sections"][-1]["questions"] if q["code"] != "comments"]
    form_load(election=forms.election, document=changed)
    filed = FiledAnswers.objects.get(pk=first["id"])
    assert filed.form_version.number == 1
    # The old version is still open to phones that have not reloaded their forms; the new one too.
    assert post(forms.observer, checklist_payload(forms, form_version=1)).status_code == 201
    assert post(forms.observer, checklist_payload(forms, form_version=2, answers=counting_answers(comments="x"))).json()["answers"] == {
        "comments": ["Unknown question."]
    }


def test_a_protocol_photo_is_sent_as_multipart_and_named_by_its_answer(forms, post):
    photo = jpeg_bytes(colour=(200, 10, 10))
    payload = checklist_payload(forms, answers=counting_answers(protocol_photo="protocol.jpg"))
    response = post(forms.observer, payload, photos=[("protocol.jpg", photo)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["photos"]) == 1 and body["answers"]["protocol_photo"] == "protocol.jpg"
    missing = checklist_payload(forms, answers=counting_answers(protocol_photo="other.jpg"))
    refused = post(forms.observer, missing, photos=[("protocol.jpg", photo)])
    assert refused.status_code == 400
    assert refused.json()["answers"] == {"protocol_photo": ["Name a photo sent with this checklist."]}


@pytest.mark.parametrize(("who", "code"), [
    ("revoked_observer", "accreditation_revoked"),
    ("unaccredited_observer", "not_accredited"),
    ("auditor", "not_an_observer"),
    ("platform_auditor", "not_an_observer"),
])  # fmt: skip
def test_the_same_gates_as_reports(forms, post, who, code):
    response = post(getattr(forms, who), checklist_payload(forms))
    assert response.status_code == 403
    assert response.json()["code"] == code
    assert not Submission.objects.exists()


def test_a_closed_election_takes_no_checklist(forms, post):
    forms.election.status = "closed"
    forms.election.save(update_fields=["status"])
    response = post(forms.observer, checklist_payload(forms))
    assert (response.status_code, response.json()["code"]) == (403, "election_closed")


def test_each_sees_only_the_checklists_of_their_scope(forms, post, as_user):
    mine = post(forms.observer, checklist_payload(forms)).json()["id"]
    theirs = post(forms.other_observer, checklist_payload(forms)).json()["id"]
    assert [c["id"] for c in as_user(forms.coordinator).get(CHECKLISTS).json()["results"]] == [mine]
    assert [c["id"] for c in as_user(forms.other_observer).get(CHECKLISTS).json()["results"]] == [theirs]
    assert as_user(forms.observer_2).get(CHECKLISTS).json()["results"] == []
