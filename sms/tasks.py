"""Celery tasks: queue a coordinators' message's SMS (handed over by name
from the messaging app); deliver one outgoing SMS, retried with doubling backoff
(capped at SMS_SEND_BACKOFF_MAX) while the gateway cannot take it, marked
failed after SMS_SEND_MAX_ATTEMPTS attempts."""

import logging

from celery import shared_task
from django.conf import settings

from .services.messages import sms_send_observer_message
from .services.outbound import DELIVER, DeliveryFailed, sms_deliver, sms_give_up

logger = logging.getLogger(__name__)


@shared_task(name=DELIVER, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver(self, message_id: int) -> str:
    try:
        return sms_deliver(message_id=message_id)
    except DeliveryFailed as exc:
        attempt = self.request.retries + 1
        if attempt >= settings.SMS_SEND_MAX_ATTEMPTS:
            logger.warning("SMS %s failed after %s attempts: %s", message_id, attempt, exc)
            sms_give_up(message_id=message_id, error=str(exc))
            return "failed"
        raise self.retry(countdown=min(2 ** (attempt - 1), settings.SMS_SEND_BACKOFF_MAX)) from None


# Named here and in messaging.services (which hands messages over by this name).
@shared_task(name="sms.tasks.send_observer_message", acks_late=True)
def send_observer_message(message_id: int) -> int:
    return sms_send_observer_message(message_id=message_id)
