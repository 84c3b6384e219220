"""Celery tasks of the alerts: thin adapters that take ids and call a service.

`raise_report_alerts` is enqueued by the pipeline (by name, on commit) when a
report is accepted as critical or given up on; `send_alert` sends one
delivery and retries it with capped exponential back-off while the receiver
fails; `sweep_alerts` (beat) raises coverage lapses and catches up on what a
lost enqueue missed. All are idempotent (see `alerts.services`)."""

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .enqueue import SEND_ALERT
from .services import alerts_sweep, delivery_send, report_alerts_raise

logger = logging.getLogger(__name__)

RAISE_REPORT_ALERTS = "alerts.tasks.raise_report_alerts"
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name=RAISE_REPORT_ALERTS,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
)
def raise_report_alerts(report_id: str) -> int | None:
    event = report_alerts_raise(report_id=report_id)
    return event.pk if event else None


def retry_countdown(retries: int) -> float:
    """Seconds before the next attempt: doubling from ALERTS_RETRY_BACKOFF_SECONDS,
    capped at ALERTS_RETRY_BACKOFF_MAX, with up to a quarter of jitter so many
    deliveries to one dead receiver do not come back at once."""
    base = min(settings.ALERTS_RETRY_BACKOFF_SECONDS * 2**retries, settings.ALERTS_RETRY_BACKOFF_MAX)
    return base * (1 + random.random() / 4)


@shared_task(
    name=SEND_ALERT,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=30,
)
def send_alert(self, delivery_id: int) -> str:
    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.retry and self.request.is_eager:
        # Embedded mode runs this inside someone's request: an eager retry would
        # wait there. The delivery stays pending with its failed attempt recorded.
        return outcome.state
    if outcome.retry:
        # The attempt is recorded; the count of attempts (not Celery's) bounds the retries.
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return outcome.state


@shared_task(acks_late=True)
def sweep_alerts() -> int:
    raised = alerts_sweep()
    if raised:
        logger.info("alert sweep raised %d alert(s)", raised)
    return raised
