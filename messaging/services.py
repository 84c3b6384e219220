"""Messages to observers: a coordinator sends one (to every observer of the
organization, a region's or chosen stations'), an observer's phone fetches
them (delivered) and opens one (read). Receipts are written once per
observer at sending; fetching and reading only fill their first time."""

import logging

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Audience, MessageReceipt, ObserverMessage
from .selectors import coordinated_organization, message_recipients, receipts_of

logger = logging.getLogger(__name__)

# The sms app's task (it builds on this app; this app never imports it).
SEND_BY_SMS = "sms.tasks.send_observer_message"


@transaction.atomic
def message_send(
    *, sender, organization_id: int, election_id: int, audience: str, texts: dict, region_id=None, station_ids=(), by_sms=False
) -> ObserverMessage:
    """Send a message: its row and one receipt per recipient, in one transaction.
    Raises PermissionDenied unless the sender coordinates the organization (or
    is a superuser), ValidationError when there is no text or no audience.
    With `by_sms`, the sms app queues one SMS per recipient with a roster
    phone after the commit."""
    if not (sender.is_superuser or coordinated_organization(sender) == organization_id):
        raise PermissionDenied("You may only message your own organization's observers.")
    if not any((texts.get(code) or "").strip() for code in ("kk", "ru", "en")):
        raise ValidationError("Write the message in at least one language.")
    if audience == Audience.REGION and region_id is None:
        raise ValidationError("Choose the region.")
    if audience == Audience.STATIONS and not station_ids:
        raise ValidationError("Choose at least one station.")
    message = ObserverMessage.objects.create(
        organization_id=organization_id,
        election_id=election_id,
        audience=audience,
        region_id=region_id if audience == Audience.REGION else None,
        text_kk=(texts.get("kk") or "").strip(),
        text_ru=(texts.get("ru") or "").strip(),
        text_en=(texts.get("en") or "").strip(),
        sent_by=sender,
        sent_at=timezone.now(),
        by_sms=by_sms,
    )
    if audience == Audience.STATIONS:
        message.stations.set(station_ids)
    recipients = message_recipients(
        organization_id=organization_id, election_id=election_id, audience=audience, region_id=region_id, station_ids=station_ids
    )
    MessageReceipt.objects.bulk_create([MessageReceipt(message=message, observer_id=o) for o in recipients])
    if by_sms:
        transaction.on_commit(lambda: message_hand_to_sms(message.pk))
    return message


def message_hand_to_sms(message_id: int) -> bool:
    """Ask the sms app to queue the message's SMS. Never raises: with the broker
    down (or the sms app not installed) nothing is queued, and handing it over
    again later queues each SMS once."""
    task = current_app.tasks.get(SEND_BY_SMS)
    if task is None:
        return False
    try:
        task.delay(message_id)
        return True
    except Exception:
        logger.warning("could not hand message %s to the SMS delivery", message_id, exc_info=True)
        return False


def messages_fetch(*, observer_id: int) -> list[MessageReceipt]:
    """The observer's messages; the ones fetched for the first time are delivered now."""
    now = timezone.now()
    MessageReceipt.objects.filter(observer_id=observer_id, delivered_at__isnull=True).update(delivered_at=now)
    return list(receipts_of(observer_id=observer_id))


def message_read(*, observer_id: int, message_id: int) -> MessageReceipt:
    """The observer opened the message. Idempotent: the first time is kept.
    Raises MessageReceipt.DoesNotExist for a message that was not sent to them."""
    now = timezone.now()
    receipt = MessageReceipt.objects.filter(observer_id=observer_id, message_id=message_id)
    receipt.filter(Q(read_at__isnull=True)).update(read_at=now, delivered_at=Coalesce("delivered_at", now))
    return receipt.select_related("message").get()
