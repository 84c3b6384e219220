"""The observer's inbox of coordinators' messages, for the page script
(static/js/messages.js): the API addresses and the texts it shows. The
messages themselves come from the messaging app's API; this module only
names its routes, so reports never imports messaging."""

from django.urls import reverse
from django.utils.translation import gettext as _

READ_PLACEHOLDER = 999999999


def api_urls() -> dict:
    return {
        "messages": reverse("api:messages"),
        # The script puts the message's id in place of {id}.
        "messageRead": reverse("api:message-read", args=[READ_PLACEHOLDER]).replace(str(READ_PLACEHOLDER), "{id}"),
    }


def client_strings() -> dict:
    return {
        "messages_unread": _("From your coordinators (unread: %(count)s)"),
        "messages_open": _("Read"),
        "messages_new": _("unread"),
        "messages_read_waiting": _("Read on this phone. The coordinators will see it when the network returns."),
    }
