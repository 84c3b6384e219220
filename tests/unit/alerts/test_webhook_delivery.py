"""The webhook's answers that trying again cannot fix (a 4xx, a redirect) fail
the delivery at once, recorded with the answer; the body is signed. The
receiver is a real HTTP server on loopback."""

import pytest

from alerts.content import signature_valid
from alerts.models import AlertDelivery, AlertSettings
from testkit.receivers import http_receiver
from tests.conftest import report_payload

pytestmark = pytest.mark.django_db

SECRET = "unit-secret"


@pytest.mark.parametrize("status", [410, 302])
def test_an_answer_that_cannot_improve_fails_the_delivery_at_once(world, post_report, status):
    with http_receiver(statuses=[status]) as hook:
        AlertSettings.objects.create(organization=world.observer.organization, webhook_url=hook.url, webhook_secret=SECRET)
        assert post_report(world.observer, report_payload(world, category="ballot_stuffing")).status_code == 201
        [received] = hook.requests
    assert signature_valid(received.body, SECRET, received.headers["x-signature"])
    delivery = AlertDelivery.objects.get(channel="webhook")
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    [attempt] = delivery.tries.all()
    assert (attempt.ok, attempt.status_code) == (False, status)


def test_in_the_embedded_mode_a_failed_attempt_waits_instead_of_retrying_inside_the_request(world, post_report):
    with http_receiver(statuses=[503]) as hook:
        AlertSettings.objects.create(organization=world.observer.organization, webhook_url=hook.url, webhook_secret=SECRET)
        assert post_report(world.observer, report_payload(world, category="ballot_stuffing")).status_code == 201
        assert len(hook.requests) == 1
    delivery = AlertDelivery.objects.get(channel="webhook")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
