"""A checklist (C) and the results protocol (P) by SMS on the embedded
defaults: filed through the one submit function against the form's current
version (source `sms`, no device position, the raw message in the content
hash), the answers checked by the API's rules, the flags the pipeline raises,
and the replies: a confirmation with a reference, or each question at fault.
The same on gunicorn, PostgreSQL, Redis and a worker: tests/integration/test_sms.py."""

import csv
import datetime as dt
import io
import uuid

import pytest

from checklists.services.forms import form_load
from monitoring.localtime import format_utc
from reports import integrity
from reports.models import Checklist, Flag, Submission
from sms.models import InboundMessage as Inbound
from sms.services.inbound import SMS_NAMESPACE
from testkit.factories import ALMATY
from tests.unit.checklists.conftest import demo_document
from tests.unit.checklists.filing import counting_answers
from tools import verify_export

from .conftest import message, post, replies

pytestmark = pytest.mark.django_db

OPENING = "C 02001 OP A1 Y A2 9 A3 8 A4 N A5 N B1 Y B2 Y B5 Y C1 N C2 Y D1 Y D3 2 D4 урна не показана пустой"
# The counting protocol of tests/unit/checklists/filing.py: 1000 received = 620 issued + 5 spoiled + 375 unused,
# 618 cast = 8 invalid + 430 + 70 + 55 + 33 + 22 votes.
PROTOCOL = (
    "P 02001 A1 Y A2 Y A3 Y A4 N A5 N A6 N P1 950 P2 1000 P3 620 P4 5 P5 375 P6 618 P7 8 "
    "NO 430 AZ 70 PP 55 AU 33 AD 22 C1 Y C2 N C3 Y C4 Y C6 2"
)
COUNT = dt.datetime(2021, 1, 10, 20, 40, tzinfo=ALMATY)


@pytest.fixture
def forms(world, phone):
    for name in ("opening", "counting"):
        form_load(election=world.election, document=demo_document(name))
    phone.language = "en"
    phone.save()
    return world


def flags(submission) -> set[str]:
    return set(Flag.objects.filter(report=submission).values_list("code", flat=True))


def test_a_checklist_is_filed_against_the_current_version_with_the_message_in_its_hash(webhook, forms):
    response = post(webhook, message(OPENING, gateway_id="c-1"))
    assert response.json()["outcome"] == "filed"
    checklist = Checklist.objects.get()
    assert (checklist.source, checklist.latitude, checklist.occurred_at) == ("sms", None, dt.datetime(2021, 1, 10, 9, 45, tzinfo=ALMATY))
    assert checklist.filed_answers.form_version.form.code == "opening" and checklist.filed_answers.form_version.number == 1
    assert checklist.filed_answers.answers == {
        "observers_admitted": True,
        "commission_members_total": 9,
        "commission_members_present": 8,
        "unauthorized_present": False,
        "unauthorized_interfering": False,
        "voter_list_present": True,
        "ballots_counted": True,
        "video_camera_working": True,
        "ballot_box_shown_empty": False,
        "ballot_box_sealed": True,
        "opened_on_time": True,
        "assessment": "good",
        "comments": "урна не показана пустой",
    }
    content = integrity.checklist_content(form_code="opening", form_version=1, answers=checklist.filed_answers.answers, photo_sha256s=[])
    assert checklist.content_sha256 == integrity.content_sha256(
        client_uuid=str(uuid.uuid5(SMS_NAMESPACE, "c-1")),
        observer_code=forms.observer.public_code,
        election_code=forms.election.code,
        station_code="02001",
        occurred_at_utc=format_utc(checklist.occurred_at),
        latitude=None,
        longitude=None,
        accuracy_m=None,
        content={**content, "sms": OPENING},
    )
    checklist.refresh_from_db()
    assert checklist.state == "accepted" and checklist.location_source == "station"
    # The box not shown empty is a critical answer.
    assert {"no_location", "checklist_critical"} <= flags(checklist)
    assert Inbound.objects.get().submission_id == checklist.pk
    assert replies() == [f"Received: checklist OP at 02001, 09:45. Ref {str(checklist.pk)[:8].upper()}"]


def test_the_protocol_by_party_and_figure_short_codes_and_its_flags_when_it_does_not_add_up(webhook, forms, as_user):
    post(webhook, message(PROTOCOL, gateway_id="p-1", at=COUNT))
    post(webhook, message(PROTOCOL.replace("AD 22", "AD 40"), gateway_id="p-2", at=COUNT))
    adds_up, does_not = Checklist.objects.order_by("received_at")
    assert adds_up.filed_answers.form_version.form.code == "counting"
    assert adds_up.filed_answers.answers == counting_answers()
    assert does_not.filed_answers.answers == counting_answers(votes_adal=40)
    adds_up.refresh_from_db()
    does_not.refresh_from_db()
    assert adds_up.state == does_not.state == "accepted"
    assert "results_arithmetic" not in flags(adds_up)
    arithmetic = Flag.objects.get(report=does_not, code="results_arithmetic")
    assert arithmetic.params["codes"] == ["ballots_add_up"]
    # Two protocols of one station from one organization that disagree.
    assert "results_conflict" in flags(does_not)
    assert replies() == [f"Received: results protocol of 02001, 20:40. Ref {str(c.pk)[:8].upper()}" for c in (adds_up, does_not)]
    listed = as_user(forms.observer).get("/api/v1/checklists/").json()["results"]
    assert [c["source"] for c in listed] == ["sms", "sms"]


def test_answers_out_of_bounds_or_missing_are_named_by_short_code_and_file_nothing(webhook, forms):
    post(webhook, message(OPENING.replace("A2 9", "A2 60"), gateway_id="e-1"))
    post(webhook, message("P 02001 NO 430 AZ 70 PP 55 AU 33 AD 22 P1 0", gateway_id="e-2", at=COUNT))
    assert replies() == [
        "A2: Must be at most 50. Nothing was filed.",
        "P1: Must be at least 1. Required, not answered: A1, A2, A3, A4, A5, A6, P2, P3, P4, P5, P6, P7, C1, C2, C3, C4, C6. "
        "Nothing was filed.",
    ]
    assert Submission.objects.count() == 0
    assert set(Inbound.objects.values_list("outcome", "problem")) == {("problem", "answers_invalid")}


def test_the_reply_in_the_observers_language(webhook, forms, phone):
    phone.language = "ru"
    phone.save()
    post(webhook, message(PROTOCOL, gateway_id="r-1", at=COUNT))
    post(webhook, message(OPENING.replace("A2 9", "A2 60"), gateway_id="r-2"))
    protocol = Checklist.objects.get()
    assert replies() == [
        f"Принято: итоговый протокол участка 02001, 20:40. Ref {str(protocol.pk)[:8].upper()}",
        "A2: Должно быть не больше 50. Ничего не принято.",
    ]


def test_the_checklist_and_results_exports_say_they_came_by_sms(webhook, forms, admin_as, tmp_path):
    post(webhook, message(OPENING, gateway_id="x-1"))
    post(webhook, message(PROTOCOL, gateway_id="x-2", at=COUNT))
    for url, params in (("/exports/checklists.csv", {"form": "opening"}), ("/exports/results.csv", {})):
        response = admin_as(forms.coordinator).get(url, {"election": forms.election.code, **params})
        text = b"".join(response.streaming_content).decode("utf-8")
        header, row = list(csv.reader(io.StringIO(text)))[:2]
        assert row[header.index("source")] == "sms", url
        path = tmp_path / "export.csv"
        path.write_text(text, encoding="utf-8", newline="")
        assert verify_export.verify(str(path)).ok
