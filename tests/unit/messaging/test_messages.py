"""Messages to observers through their public doors: a coordinator composes
in the admin; observers fetch them from `GET /api/v1/messages/` (in their
language; fetching delivers) and open them with
`POST /api/v1/messages/{id}/read/` (idempotent); the admin counts sent,
delivered and read. Another organization's observers never see them."""

import pytest
from django.urls import reverse

from messaging.models import MessageReceipt, ObserverMessage
from messaging.texts import text_for
from monitoring.services import role_groups_ensure
from testkit.factories import DeploymentFactory

pytestmark = pytest.mark.django_db

MESSAGES = "/api/v1/messages/"


def compose(admin_as, world, **fields):
    role_groups_ensure()
    data = {"election": world.election.pk, "audience": "organization", "text_kk": "", "text_ru": "", "text_en": "", **fields}
    return admin_as(world.coordinator).post(reverse("admin:messaging_observermessage_add"), data)


def test_a_message_to_the_organization_reaches_its_observers_in_their_language(world, admin_as, as_user):
    answer = compose(admin_as, world, text_ru="Проверьте печати на урнах.", text_en="Check the ballot box seals.")
    assert answer.status_code == 302, answer.content
    message = ObserverMessage.objects.get()
    assert message.organization == world.observer.organization and message.sent_by == world.coordinator.user
    # The organization's field observers; not its coordinator or auditor, not another organization's.
    assert set(message.receipts.values_list("observer", flat=True)) == {world.observer.pk, world.observer_2.pk}

    russian = as_user(world.observer).get(MESSAGES, HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == 200
    [item] = russian.json()["results"]
    assert (item["id"], item["text"], item["language"], item["read_at"]) == (message.pk, "Проверьте печати на урнах.", "ru", None)
    assert russian.json()["unread"] == 1
    kazakh = as_user(world.observer_2).get(MESSAGES, HTTP_ACCEPT_LANGUAGE="kk")
    assert kazakh.json()["results"][0]["language"] == "en"  # no Kazakh text: the English one
    assert as_user(world.other_observer).get(MESSAGES).json() == {"results": [], "unread": 0}
    assert as_user(world.coordinator).get(MESSAGES).json()["results"] == []


def test_the_read_receipt_is_idempotent_and_only_for_ones_own_messages(world, admin_as, as_user):
    compose(admin_as, world, text_en="Polls close at 20:00.")
    message = ObserverMessage.objects.get()
    client = as_user(world.observer)
    first = client.post(f"{MESSAGES}{message.pk}/read/")
    assert first.status_code == 200 and first.json()["read_at"] is not None
    again = client.post(f"{MESSAGES}{message.pk}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == first.json()["read_at"]
    receipt = MessageReceipt.objects.get(observer=world.observer)
    assert receipt.delivered_at is not None and receipt.read_at is not None  # opened offline-first: read implies delivered
    assert as_user(world.other_observer).post(f"{MESSAGES}{message.pk}/read/").status_code == 404
    assert as_user(world.other_observer).post(f"{MESSAGES}999999/read/").status_code == 404
    assert MessageReceipt.objects.get(observer=world.observer_2).read_at is None


def test_the_admin_counts_sent_delivered_and_read(world, admin_as, as_user):
    compose(admin_as, world, text_en="Report the turnout at 12:00.")
    message = ObserverMessage.objects.get()
    as_user(world.observer).get(MESSAGES)
    as_user(world.observer_2).get(MESSAGES)
    as_user(world.observer).post(f"{MESSAGES}{message.pk}/read/")
    as_user(world.observer).get(MESSAGES)  # fetching again delivers nothing twice

    listed = admin_as(world.coordinator).get(reverse("admin:messaging_observermessage_changelist"))
    [row] = listed.context["cl"].result_list
    assert (row.n_sent, row.n_delivered, row.n_read) == (2, 2, 1)
    assert admin_as(world.other_coordinator).get(reverse("admin:messaging_observermessage_changelist")).context["cl"].result_count == 0


def test_a_region_or_chosen_stations_reach_only_the_observers_posted_there(world, admin_as):
    DeploymentFactory(observer=world.observer_2, election=world.election, station=world.station_far)
    compose(admin_as, world, audience="region", region=world.station_far.district.region_id, text_en="Astana only.")
    compose(admin_as, world, audience="stations", stations=[world.station.pk], text_en="Station 02001 only.")
    by_text = {m.text_en: set(m.receipts.values_list("observer", flat=True)) for m in ObserverMessage.objects.all()}
    assert by_text == {"Astana only.": {world.observer_2.pk}, "Station 02001 only.": {world.observer.pk}}


def test_a_message_needs_a_text_and_its_audience(world, admin_as):
    assert compose(admin_as, world).status_code == 200
    assert compose(admin_as, world, audience="region", text_en="x").status_code == 200
    assert compose(admin_as, world, audience="stations", text_en="x").status_code == 200
    assert not ObserverMessage.objects.exists()


def test_the_text_falls_back_to_english_then_russian_then_kazakh():
    assert text_for("kk", {"kk": "Сәлем", "ru": "Привет", "en": "Hello"}) == ("kk", "Сәлем")
    assert text_for("ru-RU", {"kk": "Сәлем", "ru": "", "en": "Hello"}) == ("en", "Hello")
    assert text_for("en", {"kk": "Сәлем", "ru": "", "en": ""}) == ("kk", "Сәлем")
    assert text_for(None, {"kk": "", "ru": "Привет", "en": ""}) == ("ru", "Привет")
