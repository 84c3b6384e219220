"""Messages to observers on real components: a coordinator's message, fetched
over HTTP (gunicorn) from PostgreSQL by the observers' phones with their API
tokens, opened, and counted; a receipt sent twice (a phone's outbox resending
after a lost answer) keeps the first time."""

import pytest

from messaging.models import MessageReceipt, ObserverMessage
from messaging.selectors import messages_with_counts
from messaging.services import message_send
from roster.tokens import token_issue
from testkit.http import get, post_json
from testkit.processes import gunicorn

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_read_receipts_reach_the_coordinators_counts(world, integration_services, tmp_path):
    message = message_send(
        sender=world.coordinator.user,
        organization_id=world.observer.organization_id,
        election_id=world.election.pk,
        audience="organization",
        texts={"ru": "Проверьте печати.", "en": "Check the seals."},
    )
    token = {name: token_issue(user=getattr(world, name).user)[1] for name in ("observer", "observer_2", "other_observer")}
    with gunicorn(tmp_path / "gunicorn.log") as base:
        fetched = get(base, "/api/v1/messages/", token=token["observer"], headers={"Accept-Language": "ru"})
        assert fetched.status == 200 and [m["text"] for m in fetched.json()["results"]] == ["Проверьте печати."]
        first = post_json(base, f"/api/v1/messages/{message.pk}/read/", {}, token=token["observer"])
        again = post_json(base, f"/api/v1/messages/{message.pk}/read/", {}, token=token["observer"])
        assert (first.status, again.status) == (200, 200) and first.json()["read_at"] == again.json()["read_at"]
        assert get(base, "/api/v1/messages/", token=token["observer_2"]).json()["unread"] == 1
        assert post_json(base, f"/api/v1/messages/{message.pk}/read/", {}, token=token["other_observer"]).status == 404

    counted = messages_with_counts(ObserverMessage.objects.filter(pk=message.pk)).get()
    assert (counted.n_sent, counted.n_delivered, counted.n_read) == (2, 2, 1)
    assert MessageReceipt.objects.filter(read_at__isnull=False).count() == 1
