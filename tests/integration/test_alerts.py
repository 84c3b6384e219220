"""Alerts on real components: a critical report filed through intake is
processed by a real Celery worker over Redis on PostgreSQL, which raises the
alert and sends it by e-mail to a real SMTP server (aiosmtpd on loopback) and
by webhook to a real HTTP server on loopback that checks the signature. A
receiver answering 500 sees the retry; a re-run of the pipeline sends nothing
again; a dead webhook holds up neither the e-mail nor the next report."""

import json

import pytest

from alerts.content import signature_valid
from alerts.models import AlertDelivery, AlertEvent, AlertSettings
from reports.models import IncidentReport
from reports.services.pipeline import report_reprocess
from testkit.processes import start_worker, stop, wait_for
from testkit.receivers import http_receiver, smtp_receiver
from tests.filing import file_report
from tests.integration.conftest import purge_queue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SECRET = "integration-webhook-secret"


@pytest.fixture(scope="module")
def mailbox():
    with smtp_receiver() as box:
        yield box


@pytest.fixture(scope="module")
def alert_worker(integration_services, django_db_setup, tmp_path_factory, mailbox):
    """A worker whose mail goes to the test's SMTP server, retrying deliveries after about a second."""
    purge_queue()
    worker = start_worker(
        tmp_path_factory.mktemp("alerts-worker") / "worker.log",
        extra_env={"EMAIL_URL": f"smtp://127.0.0.1:{mailbox.port}", "ALERTS_RETRY_BACKOFF_SECONDS": "1", "ALERTS_MAX_ATTEMPTS": "4"},
    )
    yield worker
    stop(worker.proc)


@pytest.fixture
def organization(world, mailbox):
    mailbox.messages.clear()
    world.coordinator.user.email = "coordinator@example.org"
    world.coordinator.user.save(update_fields=["email"])
    return world.observer.organization


def critical_report(world):
    return file_report(observer=world.observer, election=world.election, station=world.station, category="ballot_stuffing", process=False)


def deliveries_done(event_count=1):
    wait_for(
        lambda: AlertEvent.objects.count() == event_count and not AlertDelivery.objects.filter(state=AlertDelivery.State.PENDING).exists(),
        timeout=60,
        message="the alert's deliveries",
    )


def test_a_critical_report_is_mailed_and_posted_signed_once_with_a_retry_after_a_500(world, organization, mailbox, alert_worker):
    with http_receiver(statuses=[500, 200]) as hook:
        AlertSettings.objects.create(organization=organization, webhook_url=hook.url, webhook_secret=SECRET)
        report = critical_report(world)
        deliveries_done()

        first, second = hook.requests
        for received in hook.requests:
            assert signature_valid(received.body, SECRET, received.headers["x-signature"])
            assert received.headers["content-type"] == "application/json"
        assert first.body == second.body  # the retry sends the same signed document
        document = json.loads(second.body)
        assert (document["kind"], document["report"], document["station"]) == ("critical_report", str(report.pk), "02001")
        assert document["observer"] == world.observer.public_code and "description" not in document

        [message] = mailbox.messages
        assert message["X-RcptTo"] == "coordinator@example.org" and "ballot_stuffing" in message["Subject"]

        webhook = AlertDelivery.objects.get(channel="webhook")
        assert webhook.state == "sent" and [(t.status_code, t.ok) for t in webhook.tries.all()] == [(500, False), (200, True)]
        assert AlertDelivery.objects.get(channel="email").state == "sent"

        # A coordinator's re-run of the pipeline: the worker is asked again, and sends nothing.
        report_reprocess(report_id=report.pk, actor=world.coordinator.user)
        wait_for(lambda: alert_worker.log_text().count("alerts.tasks.raise_report_alerts") >= 4, timeout=60, message="the second raise")
        assert len(hook.requests) == 2 and len(mailbox.messages) == 1
        assert AlertEvent.objects.count() == 1 and AlertDelivery.objects.count() == 2


def test_a_dead_webhook_holds_up_neither_the_email_nor_the_next_report(world, organization, mailbox, alert_worker):
    with http_receiver(statuses=[503]) as hook:
        AlertSettings.objects.create(organization=organization, webhook_url=hook.url, webhook_secret=SECRET)
        first = critical_report(world)
        wait_for(lambda: len(mailbox.messages) == 1, timeout=60, message="the first e-mail")
        second = critical_report(world)
        wait_for(lambda: len(mailbox.messages) == 2, timeout=60, message="the second e-mail")
        assert IncidentReport.objects.get(pk=second.pk).state == "accepted" and first.pk != second.pk
        # Meanwhile the webhook keeps failing, and gives up after ALERTS_MAX_ATTEMPTS.
        wait_for(
            lambda: AlertDelivery.objects.filter(channel="webhook", state="failed").count() == 2,
            timeout=90,
            message="the webhook giving up",
        )
        assert len(hook.requests) == 8
        assert all(signature_valid(r.body, SECRET, r.headers["x-signature"]) for r in hook.requests)
