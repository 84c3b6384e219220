"""The SMS card printed beside each badge (roster.badges asks for it in the
observer's language; this app registers it when it is ready, since the roster
never imports the apps built on it): the number to text, the codes as the
HELP reply gives them, and the categories' short codes with their names."""

from django.conf import settings

from roster.badges import SmsCard

from . import replies
from .selectors import category_codes_named


def sms_card() -> SmsCard | None:
    """The card in the active language; None while the SMS door is closed
    (without SMS_GATEWAY_SECRET the webhook refuses every message, so codes
    on paper would lead nowhere)."""
    if not settings.SMS_GATEWAY_SECRET:
        return None
    return SmsCard(number=settings.SMS_GATEWAY_NUMBER, lines=replies.help_lines(), categories=category_codes_named())
