"""The coordinators' messages to observers, by SMS: one outgoing SMS per
recipient with an active roster phone, in their roster language (the
message's fallback when it has no text in it). Queuing is idempotent: a
message handed over again queues nothing for a phone that already has its SMS."""

from django.db import IntegrityError, transaction

from messaging.models import MessageReceipt, ObserverMessage
from messaging.texts import text_for
from roster.models import RosterEntry

from ..models import OutboundMessage
from .outbound import sms_send


def sms_send_observer_message(*, message_id: int) -> int:
    """Queue the message's SMS; returns how many were queued now."""
    message = ObserverMessage.objects.filter(pk=message_id, by_sms=True).first()
    if message is None:
        return 0
    observers = MessageReceipt.objects.filter(message=message).values("observer_id")
    phones = RosterEntry.objects.filter(
        observer_id__in=observers, active=True, observer__user__is_active=True, organization_id=message.organization_id
    ).values_list("phone", "language")
    already = set(OutboundMessage.objects.filter(observer_message=message).values_list("recipient", flat=True))
    texts = message.texts()
    queued = 0
    for phone, language in phones:
        if not phone or phone in already:
            continue
        code, text = text_for(language, texts)
        try:
            with transaction.atomic():
                sms_send(recipient=phone, text=text, language=code, reason=OutboundMessage.Reason.MESSAGE, observer_message=message)
        except IntegrityError:  # handed over twice at once: the other one queued it
            continue
        queued += 1
    return queued


def sms_queue_missed_messages() -> int:
    """Queue the SMS of every message sent "also by SMS" that has none yet (its
    handover was lost to a broker outage); returns how many SMS were queued."""
    missed = ObserverMessage.objects.filter(by_sms=True, sms__isnull=True).values_list("pk", flat=True)
    return sum(sms_send_observer_message(message_id=message_id) for message_id in list(missed))
