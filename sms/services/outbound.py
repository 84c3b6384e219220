"""Outgoing SMS: queue a message (a row of the delivery log, handed to the
workers after commit), and deliver it: POST to the gateway's send API when
SMS_GATEWAY_SEND_URL is set, else write it to SMS_OUTBOX_DIR (the embedded
default). A delivery that fails for a reason that may pass (network, 5xx,
429) raises `DeliveryFailed` for the task to retry; a refusal by the gateway
(other 4xx) marks the message failed at once."""

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import DeliveryState, InboundMessage, OutboundMessage
from ..signature import sign

logger = logging.getLogger(__name__)

DELIVER = "sms.tasks.deliver"
DONE = (DeliveryState.SENT, DeliveryState.WRITTEN, DeliveryState.FAILED)


class DeliveryFailed(Exception):
    """The gateway could not take the message now; worth another attempt."""


def sms_send(
    *,
    recipient: str,
    text: str,
    language: str = "",
    reason: str = OutboundMessage.Reason.REPLY,
    in_reply_to: InboundMessage | None = None,
    observer_message=None,
) -> OutboundMessage:
    """Queue `text` for `recipient` (E.164); delivered by a worker after the caller's commit."""
    message = OutboundMessage.objects.create(
        recipient=recipient, text=text, language=language, reason=reason, in_reply_to=in_reply_to, observer_message=observer_message
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int) -> None:
    try:
        current_app.tasks[DELIVER].delay(message_id)
    except Exception:  # broker unreachable: the message stays pending (`manage.py sms_deliver_pending`)
        logger.warning("could not enqueue SMS %s; it stays pending", message_id, exc_info=True)


def sms_deliver(*, message_id: int) -> str:
    """One delivery attempt; returns the message's state. A message already
    delivered (or given up) is left alone, so a redelivered task sends nothing twice."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state in DONE:
            return message.state if message else "missing"
        message.attempts += 1
        message.save(update_fields=["attempts"])
    try:
        if settings.SMS_GATEWAY_SEND_URL:
            state, reference = DeliveryState.SENT, _post(message)
        else:
            state, reference = DeliveryState.WRITTEN, _write(message)
    except DeliveryFailed as exc:
        OutboundMessage.objects.filter(pk=message_id).update(last_error=str(exc)[:300])
        raise
    except _Refused as exc:
        sms_give_up(message_id=message_id, error=str(exc))
        return DeliveryState.FAILED
    OutboundMessage.objects.filter(pk=message_id).update(
        state=state, sent_at=timezone.now(), gateway_reference=reference[:128], last_error=""
    )
    return state


def sms_give_up(*, message_id: int, error: str) -> None:
    OutboundMessage.objects.filter(pk=message_id).exclude(state__in=DONE).update(state=DeliveryState.FAILED, last_error=error[:300])


class _Refused(Exception):
    """The gateway refused the message itself (a 4xx other than 429): another attempt would be refused too."""


def _post(message: OutboundMessage) -> str:
    body = json.dumps({"id": str(message.pk), "to": message.recipient, "text": message.text}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if settings.SMS_GATEWAY_SEND_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_SEND_TOKEN}"
    if settings.SMS_GATEWAY_SEND_SECRET:
        headers["X-Signature"] = sign(body, settings.SMS_GATEWAY_SEND_SECRET)
    request = urllib.request.Request(settings.SMS_GATEWAY_SEND_URL, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_SEND_TIMEOUT) as response:
            answer = response.read(4096)
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise DeliveryFailed(f"gateway answered {exc.code}") from None
        raise _Refused(f"gateway refused the message ({exc.code})") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise DeliveryFailed(f"gateway unreachable ({type(exc).__name__})") from None
    try:
        reference = json.loads(answer).get("id", "")
    except (ValueError, AttributeError):
        reference = ""
    return str(reference) if reference else ""


def _write(message: OutboundMessage) -> str:
    folder = Path(settings.SMS_OUTBOX_DIR)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{message.created_at:%Y%m%dT%H%M%S}-{message.pk}.txt"
        path.write_text(f"To: {message.recipient}\nLanguage: {message.language}\n\n{message.text}\n", encoding="utf-8")
    except OSError as exc:
        raise DeliveryFailed(f"outbox folder not writable ({type(exc).__name__})") from None
    return path.name


def sms_requeue_pending() -> int:
    """Enqueue every message still pending; returns how many."""
    ids = list(OutboundMessage.objects.filter(state=DeliveryState.PENDING).values_list("pk", flat=True))
    for message_id in ids:
        _enqueue(message_id)
    return len(ids)
