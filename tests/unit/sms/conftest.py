"""What the webhook tests share: the embedded gateway settings (replies to an
outbox folder), an observer's roster phone, a client that runs what a request
leaves for after its commit, and signed deliveries."""

import datetime as dt
import json
import urllib.parse

import pytest

from reports.models import IncidentCategory
from roster.models import RosterEntry
from sms.data import category_codes_sync
from sms.models import CategoryShortCode, OutboundMessage
from sms.signature import sign
from testkit.factories import ALMATY

SECRET = "gateway-secret"
PHONE = "+77011234567"
INBOUND = "/sms/inbound/"


@pytest.fixture(autouse=True)
def _gateway(settings, tmp_path):
    settings.SMS_GATEWAY_SECRET = SECRET
    settings.SMS_GATEWAY_SEND_URL = ""
    settings.SMS_OUTBOX_DIR = tmp_path / "outbox"


@pytest.fixture
def phone(world):
    # A transactional test earlier in the session flushes what the migration loaded.
    category_codes_sync(CategoryShortCode, IncidentCategory)
    return RosterEntry.objects.create(
        observer=world.observer,
        organization=world.observer.organization,
        external_id="o-1",
        full_name="A. Observer",
        phone=PHONE,
        language="ru",
    )


@pytest.fixture
def webhook(client, django_capture_on_commit_callbacks):
    """The test client, running what the request left for after its commit (the
    pipeline, the reply's delivery) as the embedded mode does."""

    class Committing:
        def generic(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return client.generic(*args, **kwargs)

    return Committing()


def post(webhook, payload: dict, *, secret=SECRET, form=False, signature=None):
    if form:
        body, content_type = urllib.parse.urlencode(payload).encode(), "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(payload).encode(), "application/json"
    headers = {} if secret is None else {"HTTP_X_SIGNATURE": signature or sign(body, secret)}
    return webhook.generic("POST", INBOUND, body, content_type=content_type, **headers)


def message(text, *, gateway_id="m-1", sender=PHONE, at=None) -> dict:
    at = at or dt.datetime(2021, 1, 10, 9, 45, tzinfo=ALMATY)
    return {"id": gateway_id, "from": sender, "to": "7575", "text": text, "received_at": at.isoformat()}


def replies() -> list[str]:
    return list(OutboundMessage.objects.order_by("pk").values_list("text", flat=True))
