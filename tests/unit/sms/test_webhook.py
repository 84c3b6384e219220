"""The webhook on the embedded defaults (tasks eager, replies written to the
outbox folder): signature, malformed bodies, replay, the sender gates, each
code filed with source `sms` and the raw message in its content hash, and the
reply in the observer's language. The same paths on gunicorn, PostgreSQL,
Redis and a worker: tests/integration/test_sms.py."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from checklists.services.forms import form_load
from reports.models import CheckIn, IncidentReport, Submission
from roster.models import RosterEntry
from sms.models import InboundMessage, OutboundMessage
from sms.signature import sign
from testkit.factories import ALMATY

from .conftest import INBOUND, PHONE, SECRET, message, post, replies

FORMS = Path(__file__).resolve().parents[3] / "checklists" / "data"


@pytest.mark.django_db
def test_signature_is_required_and_checked(webhook, world, phone):
    assert post(webhook, message("A 02001"), secret=None).status_code == 403
    assert post(webhook, message("A 02001"), secret="wrong").status_code == 403
    assert post(webhook, message("A 02001"), signature="sha256=").status_code == 403
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_no_secret_configured_refuses_everything(webhook, settings, world, phone):
    settings.SMS_GATEWAY_SECRET = ""
    assert post(webhook, message("A 02001"), secret="").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"from": PHONE, "text": "A 02001"},
        {"id": "x", "text": "A 02001"},
        {"id": "x", "from": "not a phone", "text": "A 02001"},
        {"id": ["x"], "from": PHONE, "text": "A 02001"},
        {"id": "x", "from": PHONE, "text": 5},
        {"id": "x", "from": PHONE, "text": "A\x0002001"},
        {"id": "x", "from": PHONE, "text": "A 02001", "received_at": "yesterday"},
        {"id": "x", "from": PHONE, "text": "A 02001", "received_at": "2021-01-10T09:45:00"},
        {"id": "x" * 129, "from": PHONE, "text": "A 02001"},
    ],
)
def test_malformed_bodies_are_400(webhook, world, phone, payload):
    assert post(webhook, payload).status_code == 400
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_bodies_that_are_not_json_objects_are_400(webhook, world):
    for body in [b"[1]", b"{", b"\xff\xfe", b'{"id": "\\ud800", "from": "+77011234567"}']:
        response = webhook.generic("POST", INBOUND, body, content_type="application/json", HTTP_X_SIGNATURE=sign(body, SECRET))
        assert response.status_code == 400, body


@pytest.mark.django_db
def test_a_check_in_by_sms_filed_once_with_its_message_in_the_content(webhook, world, phone):
    first = post(webhook, message("a 02001"))
    again = post(webhook, message("a 02001"))
    assert (first.status_code, first.json()["status"], first.json()["outcome"]) == (200, "received", "filed")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    checkin = CheckIn.objects.get()
    assert (checkin.source, checkin.checkin_kind, checkin.latitude) == ("sms", "arrived", None)
    assert checkin.occurred_at == dt.datetime(2021, 1, 10, 9, 45, tzinfo=ALMATY)
    assert checkin.state == "accepted" and "no_location" in set(checkin.flags.values_list("code", flat=True))
    assert checkin.location_source == "station"
    assert InboundMessage.objects.get().submission_id == checkin.pk
    # The message as received is evidence: another text under another id is another hash.
    post(webhook, message("A,02001", gateway_id="m-2", at=dt.datetime(2021, 1, 10, 9, 45, tzinfo=ALMATY)))
    assert len(set(Submission.objects.values_list("content_sha256", flat=True))) == 2
    assert replies()[0] == f"Принято: на месте, участок 02001, 09:45. Ref {str(checkin.pk)[:8].upper()}"
    assert len(replies()) == 2


@pytest.mark.django_db
def test_form_fields_work_as_json_does(webhook, world, phone):
    assert post(webhook, message("Q 02001"), form=True).json()["outcome"] == "filed"
    assert CheckIn.objects.get().checkin_kind == "all_quiet"


@pytest.mark.django_db
def test_an_incident_by_sms_at_the_stated_local_time(webhook, world, phone):
    response = post(webhook, message("R 02001 CV 0930 те же люди второй раз"))
    assert response.json()["outcome"] == "filed"
    report = IncidentReport.objects.get()
    assert (report.category.code, report.source, report.description) == ("carousel_voting", "sms", "R 02001 CV 0930 те же люди второй раз")
    assert report.occurred_at == dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY)
    assert report.state == "accepted" and report.location_source == "station"
    assert replies() == [f"Принято: {report.category.name_ru}, участок 02001, 09:30. Ref {str(report.pk)[:8].upper()}"]


@pytest.mark.django_db
def test_source_sms_in_the_api_and_the_admin(webhook, world, phone, as_user, admin_as):
    post(webhook, message("R 02001 CV 0930", gateway_id="s-1"))
    post(webhook, message("A 02001", gateway_id="s-2"))
    api = as_user(world.observer)
    assert [r["source"] for r in api.get("/api/v1/reports/").json()["results"]] == ["sms"]
    assert [c["source"] for c in api.get("/api/v1/checkins/").json()["results"]] == ["sms"]
    page = admin_as(world.coordinator).get(f"/admin/reports/submission/{IncidentReport.objects.get().pk}/change/")
    assert page.status_code == 200 and "<code>sms</code>" in page.content.decode()


@pytest.mark.django_db
def test_a_time_after_the_message_is_the_day_before(webhook, world, phone):
    post(webhook, message("R 02001 OT 2350", at=dt.datetime(2021, 1, 11, 0, 10, tzinfo=ALMATY)))
    assert IncidentReport.objects.get().occurred_at == dt.datetime(2021, 1, 10, 23, 50, tzinfo=ALMATY)


@pytest.mark.django_db
def test_problems_are_answered_exactly_and_file_nothing(webhook, world, phone):
    form_load(election=world.election, document=json.loads((FORMS / "opening.json").read_text(encoding="utf-8")))
    phone.language = "en"
    phone.save()
    post(webhook, message("A 99999", gateway_id="p-1"))
    post(webhook, message("R 02001 BX 0930", gateway_id="p-2"))
    post(webhook, message("C 02001 OP A1 Y", gateway_id="p-3"))
    assert replies() == [
        "station 99999 is not in this election",
        "BX is not a category; send HELP",
        "Required, not answered: A2, A3, A4, A5, B1, B2, B5, C1, C2, D1, D3. Nothing was filed.",
    ]
    assert Submission.objects.count() == 0
    assert list(InboundMessage.objects.order_by("received_at").values_list("problem", flat=True)) == [
        "station_unknown",
        "unknown_category",
        "answers_invalid",
    ]


@pytest.mark.django_db
def test_help_in_the_observers_language(webhook, world, phone):
    phone.language = "kk"
    phone.save()
    form_load(election=world.election, document=json.loads((FORMS / "counting.json").read_text(encoding="utf-8")))
    post(webhook, message("?", gateway_id="h-1"))
    post(webhook, message("HELP R", gateway_id="h-2"))
    post(webhook, message("HELP P", gateway_id="h-3"))
    codes, categories, forms = replies()
    assert codes.startswith("A 02001 келдім") and "HELP R" in codes and "CV " not in codes
    assert categories.startswith("Санаттар: ") and "BS " in categories and "CV " in categories
    assert forms == "Сауалнамалар: CN\nПартиялар: NO, AZ, PP, AU, AD"


@pytest.mark.django_db
def test_an_unknown_number_gets_one_polite_reply_an_hour(webhook, world, phone, settings):
    for n in range(3):
        assert post(webhook, message("A 02001", gateway_id=f"u-{n}", sender="+77019876543")).json()["outcome"] == "unknown_sender"
    assert OutboundMessage.objects.filter(recipient="+77019876543").count() == 1
    OutboundMessage.objects.update(created_at=timezone.now() - dt.timedelta(seconds=settings.SMS_UNKNOWN_SENDER_REPLY_SECONDS + 1))
    post(webhook, message("A 02001", gateway_id="u-9", sender="+77019876543"))
    assert OutboundMessage.objects.filter(recipient="+77019876543").count() == 2
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_gates_deactivated_and_revoked(webhook, world, phone):
    phone.active = False
    phone.save()
    assert post(webhook, message("A 02001", gateway_id="g-1")).json()["outcome"] == "unknown_sender"
    RosterEntry.objects.create(
        observer=world.revoked_observer,
        organization=world.revoked_observer.organization,
        external_id="r-1",
        full_name="R",
        phone="+77012223344",
    )
    refused = post(webhook, message("A 02001", gateway_id="g-2", sender="+77012223344"))
    assert refused.json()["outcome"] == "refused"
    assert InboundMessage.objects.get(gateway_id="g-2").problem == "accreditation_revoked"
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_outbox_folder_holds_the_reply(webhook, world, phone, settings):
    post(webhook, message("L 02001"))
    (reply,) = OutboundMessage.objects.all()
    assert reply.state == "written" and reply.attempts == 1
    (path,) = (settings.SMS_OUTBOX_DIR).iterdir()
    assert reply.text in path.read_text(encoding="utf-8")
