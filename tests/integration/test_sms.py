"""SMS on real components: signed deliveries posted to gunicorn, filed into
PostgreSQL, processed by a real Celery worker through Redis, and the replies
delivered by that worker to a real HTTP server on loopback standing in for the
gateway's send API (replies checked there, with their token and signature).
Every code (a checklist and the results protocol filed and flagged by the
worker), each refusal and gate, replays, delivery retries, and a
coordinators' message sent also by SMS (handed to the worker by task name)."""

import datetime as dt
import hashlib
import hmac
import json
import threading
import zoneinfo
from pathlib import Path

import pytest

from checklists.services.forms import form_load
from messaging.models import ObserverMessage
from messaging.selectors import messages_with_counts
from messaging.services import message_send
from monitoring.models import Accreditation, Election
from monitoring.services import accreditation_set_status
from reports.models import CheckIn, Checklist, Flag, IncidentCategory, IncidentReport, Submission
from roster.models import RosterEntry
from sms.data import category_codes_sync
from sms.models import CategoryShortCode, InboundMessage, OutboundMessage
from sms.services.messages import sms_send_observer_message
from testkit.http import request
from testkit.processes import child_env, gunicorn, start_worker, stop, wait_for
from testkit.sms_gateway import sms_gateway
from tests.integration.conftest import purge_queue
from tests.integration.submissions import processed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
FORMS = Path(__file__).resolve().parents[2] / "checklists" / "data"
SECRET = "webhook-secret"
SEND_TOKEN = "send-token"
SEND_SECRET = "send-secret"
OBSERVER = "+77011234567"
OPENING = "C 02001 OP A1 Y A2 9 A3 8 A4 N A5 N B1 Y B2 Y B5 Y C1 N C2 Y D1 Y D3 2"  # C1 N: the box not shown empty
# 618 cast, but 8 invalid + 430 + 70 + 55 + 33 + 40 votes = 636: the figures do not add up.
PROTOCOL = (
    "P 02001 A1 Y A2 Y A3 Y A4 N A5 N A6 N P1 950 P2 1000 P3 620 P4 5 P5 375 P6 618 P7 8 "
    "NO 430 AZ 70 PP 55 AU 33 AD 40 C1 Y C2 N C3 Y C4 Y C6 2"
)


@pytest.fixture(scope="module")
def gateway():
    with sms_gateway() as running:
        yield running


@pytest.fixture(scope="module")
def sms_worker(integration_services, django_db_setup, tmp_path_factory, gateway):
    """A real worker that delivers replies to the loopback gateway (short backoff)."""
    purge_queue()
    worker = start_worker(
        tmp_path_factory.mktemp("sms-worker") / "worker.log",
        extra_env={
            "SMS_GATEWAY_SEND_URL": gateway.url,
            "SMS_GATEWAY_SEND_TOKEN": SEND_TOKEN,
            "SMS_GATEWAY_SEND_SECRET": SEND_SECRET,
            "SMS_SEND_MAX_ATTEMPTS": "3",
            "SMS_SEND_BACKOFF_MAX": "1",
        },
    )
    yield worker
    stop(worker.proc)


@pytest.fixture
def web(tmp_path, sms_worker, gateway):
    gateway.clear()
    with gunicorn(tmp_path / "gunicorn.log", env=child_env(SMS_GATEWAY_SECRET=SECRET)) as base:
        yield base


@pytest.fixture
def phones(world):
    # Transactional tests flush the tables the migrations filled.
    category_codes_sync(CategoryShortCode, IncidentCategory)
    for name in ("opening", "counting"):
        form_load(election=world.election, document=json.loads((FORMS / f"{name}.json").read_text(encoding="utf-8")))

    def entry(observer, phone, language="en"):
        return RosterEntry.objects.create(
            observer=observer, organization=observer.organization, external_id=phone, full_name="x", phone=phone, language=language
        )

    return {
        "observer": entry(world.observer, OBSERVER, "ru"),
        "observer_2": entry(world.observer_2, "+77011234568"),
        "revoked": entry(world.revoked_observer, "+77011234569"),
        "unaccredited": entry(world.unaccredited_observer, "+77011234570"),
        "auditor": entry(world.auditor, "+77011234571"),
    }


def deliver(base, text, *, gateway_id, sender=OBSERVER, at=None, secret=SECRET, form=False):
    at = at or dt.datetime(2021, 1, 10, 9, 45, tzinfo=ALMATY)
    fields = {"id": gateway_id, "from": sender, "to": "7575", "text": text, "received_at": at.isoformat()}
    if form:
        from urllib.parse import urlencode

        body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(fields).encode(), "application/json"
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return request(base, "POST", "/sms/inbound/", body=body, headers={"Content-Type": content_type, "X-Signature": signature})


def replies_to(gateway, phone, count):
    wait_for(lambda: len(gateway.to(phone)) >= count, timeout=60, message=f"{count} replies to {phone} at the gateway")
    return gateway.to(phone)


def test_every_code_is_filed_or_answered_and_the_replies_reach_the_gateway(world, phones, web, gateway):
    texts = [
        ("s-1", "A 02001"),
        ("s-2", "q,02001"),
        ("s-3", "R 02001 BS 0930 мужчина с пачкой бюллетеней"),
        ("s-4", "Л 02001"),
        ("s-5", "HELP"),
        ("s-6", OPENING),
        ("s-7", PROTOCOL),
        ("s-8", "R 02001 BX"),
        ("s-9", "A 99999"),
    ]
    for gateway_id, text in texts:
        answer = deliver(web, text, gateway_id=gateway_id, form=gateway_id == "s-2")
        assert answer.status == 200 and answer.json()["status"] == "received", answer.body

    outcomes = dict(InboundMessage.objects.values_list("gateway_id", "outcome"))
    assert outcomes == {
        "s-1": "filed", "s-2": "filed", "s-3": "filed", "s-4": "filed", "s-5": "help",
        "s-6": "filed", "s-7": "filed", "s-8": "problem", "s-9": "problem",
    }  # fmt: skip
    filed = InboundMessage.objects.filter(outcome="filed").order_by("gateway_id")
    submissions = processed(*[str(m.submission_id) for m in filed])
    for submission in submissions.values():
        assert submission.source == "sms" and submission.state == "accepted"
        assert submission.location_source == "station" and submission.latitude is None
        assert "no_location" in {f.code for f in Flag.objects.filter(report=submission)}
    assert sorted(CheckIn.objects.values_list("checkin_kind", flat=True)) == ["all_quiet", "arrived", "left"]
    report = IncidentReport.objects.get()
    assert report.category.code == "ballot_stuffing" and report.occurred_at == dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY)
    assert report.description == "R 02001 BS 0930 мужчина с пачкой бюллетеней"
    # The checklist and the protocol: stored against the forms' versions, flagged by the worker's pipeline.
    opening, protocol = (Checklist.objects.get(pk=InboundMessage.objects.get(gateway_id=g).submission_id) for g in ("s-6", "s-7"))
    assert (opening.filed_answers.form_version.form.code, opening.filed_answers.answers["ballot_box_shown_empty"]) == ("opening", False)
    assert "checklist_critical" in {f.code for f in Flag.objects.filter(report=opening)}
    assert protocol.filed_answers.form_version.form.code == "counting"
    assert (protocol.filed_answers.answers["votes_nur_otan"], protocol.filed_answers.answers["votes_adal"]) == (430, 40)
    arithmetic = Flag.objects.get(report=protocol, code="results_arithmetic")
    assert arithmetic.params["codes"] == ["ballots_add_up"]

    replies = replies_to(gateway, OBSERVER, len(texts))
    ref = {m.gateway_id: str(m.submission_id)[:8].upper() for m in filed}
    assert f"Принято: на месте, участок 02001, 09:45. Ref {ref['s-1']}" in replies
    assert f"Принято: {report.category.name_ru}, участок 02001, 09:30. Ref {ref['s-3']}" in replies
    assert f"Принято: ушли с участка 02001, 09:45. Ref {ref['s-4']}" in replies
    assert f"Принято: анкета OP, участок 02001, 09:45. Ref {ref['s-6']}" in replies
    assert f"Принято: итоговый протокол участка 02001, 09:45. Ref {ref['s-7']}" in replies
    assert "BX — не категория; отправьте HELP" in replies and "участка 99999 нет в этих выборах" in replies
    assert any(r.startswith("A 02001 на месте") and "HELP R" in r for r in replies)
    for delivery in gateway.deliveries:
        assert delivery.headers["authorization"] == f"Bearer {SEND_TOKEN}"
        assert delivery.headers["x-signature"] == "sha256=" + hmac.new(SEND_SECRET.encode(), delivery.raw, hashlib.sha256).hexdigest()
    wait_for(lambda: not OutboundMessage.objects.exclude(state="sent").exists(), timeout=30, message="the delivery log")
    assert set(OutboundMessage.objects.values_list("gateway_reference", flat=True)) == {f"gw-{m.pk}" for m in OutboundMessage.objects.all()}


def test_a_replayed_delivery_files_nothing_twice(world, phones, web, gateway):
    answers = []

    def send():
        answers.append(deliver(web, "A 02001", gateway_id="same-id"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    answers.append(deliver(web, "A 02001", gateway_id="same-id"))
    assert [a.status for a in answers] == [200] * 5
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 4 + ["received"]
    assert InboundMessage.objects.count() == 1 and Submission.objects.count() == 1
    processed(str(Submission.objects.get().pk))
    assert len(replies_to(gateway, OBSERVER, 1)) == 1
    assert OutboundMessage.objects.count() == 1


def test_refusals_and_gates(world, phones, web, gateway):
    unsigned = request(web, "POST", "/sms/inbound/", body=b'{"id": "x"}', headers={"Content-Type": "application/json"})
    wrong = deliver(web, "A 02001", gateway_id="g-0", secret="not-the-secret")
    malformed = request(
        web, "POST", "/sms/inbound/", body=b"{", headers={"Content-Type": "application/json", "X-Signature": "sha256=" + hmac.new(SECRET.encode(), b"{", hashlib.sha256).hexdigest()}
    )  # fmt: skip
    assert (unsigned.status, wrong.status, malformed.status) == (403, 403, 400)

    for n in range(3):  # an unknown number: one polite reply, nothing filed
        assert deliver(web, "A 02001", gateway_id=f"u-{n}", sender="+77019998877").json()["outcome"] == "unknown_sender"
    assert len(replies_to(gateway, "+77019998877", 1)) == 1

    for who, gateway_id in [("revoked", "g-1"), ("unaccredited", "g-2"), ("auditor", "g-3")]:
        deliver(web, "A 02001", gateway_id=gateway_id, sender=phones[who].phone)
    problems = dict(InboundMessage.objects.filter(outcome="refused").values_list("gateway_id", "problem"))
    assert problems == {"g-1": "accreditation_revoked", "g-2": "not_accredited", "g-3": "not_an_observer"}
    assert len(replies_to(gateway, phones["revoked"].phone, 1)) == 1

    accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.SUSPENDED, reason="integration test")
    assert deliver(web, "A 02001", gateway_id="g-4", sender=phones["observer_2"].phone).json()["outcome"] == "refused"
    accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.ACTIVE, reason="integration test")
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)
    assert deliver(web, "A 02001", gateway_id="g-5", sender=phones["observer_2"].phone).json()["outcome"] == "refused"
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.OPEN)

    # Deactivation: the roster entry (and the user) inactive, the number is nobody's.
    RosterEntry.objects.filter(pk=phones["observer_2"].pk).update(active=False)
    assert deliver(web, "A 02001", gateway_id="g-6", sender=phones["observer_2"].phone).json()["outcome"] == "unknown_sender"
    RosterEntry.objects.filter(pk=phones["observer_2"].pk).update(active=True)
    type(world.observer_2.user).objects.filter(pk=world.observer_2.user_id).update(is_active=False)
    assert deliver(web, "A 02001", gateway_id="g-7", sender=phones["observer_2"].phone).json()["outcome"] == "unknown_sender"

    assert dict(InboundMessage.objects.filter(gateway_id__in=["g-4", "g-5"]).values_list("gateway_id", "problem")) == {
        "g-4": "accreditation_revoked",
        "g-5": "election_closed",
    }
    assert Submission.objects.count() == 0


def test_a_reply_is_retried_until_the_gateway_takes_it_and_a_refused_one_fails(world, phones, web, gateway):
    gateway.fail_next(503, 503)
    deliver(web, "HELP", gateway_id="r-1")
    wait_for(lambda: OutboundMessage.objects.filter(state="sent").count() == 1, timeout=60, message="the retried delivery")
    assert OutboundMessage.objects.get().attempts == 3 and len(gateway.refused) == 2

    gateway.fail_next(400)
    deliver(web, "HELP", gateway_id="r-2")
    wait_for(lambda: OutboundMessage.objects.filter(state="failed").count() == 1, timeout=60, message="the refused delivery")
    failed = OutboundMessage.objects.get(state="failed")
    assert failed.attempts == 1 and "400" in failed.last_error

    gateway.fail_next(503, 503, 503)
    deliver(web, "HELP", gateway_id="r-3")
    wait_for(lambda: OutboundMessage.objects.filter(state="failed").count() == 2, timeout=60, message="giving up")
    assert OutboundMessage.objects.filter(state="failed").order_by("-created_at").first().attempts == 3


def test_a_coordinators_message_by_sms_reaches_each_recipient_phone_in_their_language(world, phones, sms_worker, gateway):
    gateway.clear()
    message = message_send(
        sender=world.coordinator.user,
        organization_id=world.observer.organization_id,
        election_id=world.election.pk,
        audience="organization",
        texts={"ru": "Проверьте печати.", "kk": "Мөрлерді тексеріңіз."},
        by_sms=True,
    )
    # observer reads Russian; observer_2 English, which the message lacks: the Russian text.
    assert replies_to(gateway, OBSERVER, 1) == ["Проверьте печати."]
    assert replies_to(gateway, "+77011234568", 1) == ["Проверьте печати."]
    wait_for(lambda: OutboundMessage.objects.filter(observer_message=message, state="sent").count() == 2, timeout=60, message="sent")
    assert sms_send_observer_message(message_id=message.pk) == 0  # handed over again: nothing twice
    counted = messages_with_counts(ObserverMessage.objects.filter(pk=message.pk)).get()
    assert (counted.n_sent, counted.n_sms_queued, counted.n_sms_sent, counted.n_sms_failed) == (2, 0, 2, 0)
    assert OutboundMessage.objects.filter(observer_message=message).count() == len(gateway.deliveries) == 2
