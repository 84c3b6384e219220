"""A coordinators' message also by SMS: composed in the admin with "also by
SMS", every recipient with a roster phone gets one outgoing SMS in their
language (delivered to the outbox folder, the embedded default); handed over
again, it queues nothing twice; without the choice no SMS goes out. The
admin shows how many were queued, sent and failed."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from messaging.models import ObserverMessage
from messaging.services import message_hand_to_sms
from monitoring.services import role_groups_ensure
from roster.models import RosterEntry
from sms.models import DeliveryState, OutboundMessage

from .conftest import PHONE

pytestmark = pytest.mark.django_db

PHONE_2 = "+77017654321"


def compose(admin_as, world, capture, **fields):
    role_groups_ensure()
    data = {"election": world.election.pk, "audience": "organization", "text_kk": "", "text_ru": "", "text_en": "", **fields}
    with capture(execute=True):
        return admin_as(world.coordinator).post(reverse("admin:messaging_observermessage_add"), data)


@pytest.fixture
def phones(world, phone):
    """world.observer reads Russian (the sms conftest's entry), observer_2 Kazakh;
    another organization's observer has a phone too, and gets nothing."""
    for observer, number, external_id in ((world.observer_2, PHONE_2, "o-2"), (world.other_observer, "+77015550000", "x-1")):
        RosterEntry.objects.create(
            observer=observer, organization=observer.organization, external_id=external_id, full_name="B", phone=number, language="kk"
        )


def test_the_choice_queues_one_sms_per_recipient_with_a_phone_in_their_language(
    world, admin_as, phones, settings, django_capture_on_commit_callbacks
):
    answer = compose(
        admin_as, world, django_capture_on_commit_callbacks, by_sms="on", text_ru="Проверьте печати.", text_kk="Мөрлерді тексеріңіз."
    )
    assert answer.status_code == 302, answer.content
    message = ObserverMessage.objects.get()
    assert message.by_sms
    sent = {(m.recipient, m.language, m.text, m.reason) for m in OutboundMessage.objects.filter(observer_message=message)}
    assert sent == {
        (PHONE, "ru", "Проверьте печати.", "message"),
        (PHONE_2, "kk", "Мөрлерді тексеріңіз.", "message"),
    }
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {DeliveryState.WRITTEN}
    outbox = sorted(p.read_text(encoding="utf-8") for p in settings.SMS_OUTBOX_DIR.iterdir())
    assert len(outbox) == 2 and any("Проверьте печати." in text and PHONE in text for text in outbox)

    # Handed over again (a redelivered task, a retry): nothing is queued twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert message_hand_to_sms(message.pk)
    assert OutboundMessage.objects.count() == 2

    listed = admin_as(world.coordinator).get(reverse("admin:messaging_observermessage_changelist"))
    [row] = listed.context["cl"].result_list
    assert (row.n_sent, row.n_sms_queued, row.n_sms_sent, row.n_sms_failed) == (2, 0, 2, 0)
    assert "0 queued, 2 sent, 0 failed" in listed.content.decode()
    page = admin_as(world.coordinator).get(reverse("admin:messaging_observermessage_change", args=[message.pk]))
    assert "0 queued, 2 sent, 0 failed" in page.content.decode()


def test_a_failed_delivery_is_counted_as_failed(world, admin_as, phones, settings, django_capture_on_commit_callbacks):
    settings.SMS_GATEWAY_SEND_URL = "http://127.0.0.1:9/send"  # nothing listens: each attempt fails
    settings.SMS_SEND_MAX_ATTEMPTS = 1
    compose(admin_as, world, django_capture_on_commit_callbacks, by_sms="on", text_en="Polls close at 20:00.")
    listed = admin_as(world.coordinator).get(reverse("admin:messaging_observermessage_changelist"))
    [row] = listed.context["cl"].result_list
    assert (row.n_sms_queued, row.n_sms_sent, row.n_sms_failed) == (0, 0, 2)
    assert set(OutboundMessage.objects.values_list("text", flat=True)) == {"Polls close at 20:00."}  # the only text written


def test_without_the_choice_no_sms_goes_out(world, admin_as, phones, django_capture_on_commit_callbacks):
    answer = compose(admin_as, world, django_capture_on_commit_callbacks, text_en="Report the turnout at 12:00.")
    assert answer.status_code == 302
    message = ObserverMessage.objects.get()
    assert not message.by_sms and message.receipts.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        message_hand_to_sms(message.pk)  # a message sent without the choice is never texted
    assert not OutboundMessage.objects.exists()
    listed = admin_as(world.coordinator).get(reverse("admin:messaging_observermessage_changelist"))
    assert listed.context["cl"].result_list[0].n_sms_sent == 0


def test_a_lost_handover_is_queued_by_sms_deliver_pending(world, admin_as, phones, django_capture_on_commit_callbacks):
    role_groups_ensure()
    data = {"election": world.election.pk, "audience": "organization", "text_en": "Seals.", "by_sms": "on"}
    admin_as(world.coordinator).post(reverse("admin:messaging_observermessage_add"), data)  # its on-commit handover never runs
    assert ObserverMessage.objects.get().by_sms and not OutboundMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sms_deliver_pending", stdout=io.StringIO())
    assert sorted(OutboundMessage.objects.values_list("recipient", "state")) == [(PHONE, "written"), (PHONE_2, "written")]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sms_deliver_pending", stdout=io.StringIO())
    assert OutboundMessage.objects.count() == 2
