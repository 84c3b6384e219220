"""Sending one delivery by its channel: an e-mail through Django's mail
connection (EMAIL_URL), or a signed POST to the organization's webhook.
Each returns the attempt's answer; nothing here touches the database."""

import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage

from .content import SIGNATURE_HEADER, email_subject, email_text, signature, webhook_body


@dataclass(frozen=True)
class Answer:
    ok: bool
    # False when trying again cannot help (a 4xx other than 408/429, no address).
    retry: bool
    status_code: int | None
    text: str


def email_send(*, address: str, kind: str, payload: dict) -> Answer:
    message = EmailMessage(subject=email_subject(kind, payload), body=email_text(kind, payload), to=[address])
    try:
        sent = message.send(fail_silently=False)
    except smtplib.SMTPResponseException as exc:
        # The server's code only: its text may quote the address.
        return Answer(ok=False, retry=exc.smtp_code < 500, status_code=None, text=f"SMTP {exc.smtp_code}")
    except (smtplib.SMTPException, OSError) as exc:
        return Answer(ok=False, retry=True, status_code=None, text=type(exc).__name__)
    return Answer(ok=bool(sent), retry=not sent, status_code=None, text="accepted by the mail server" if sent else "not sent")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the signed POST into someone else's GET: refuse it.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def webhook_send(*, url: str, secret: str, event_id: int, delivery_id: int, kind: str, payload: dict) -> Answer:
    body = webhook_body(event_id=event_id, kind=kind, payload=payload)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(body, secret),
            "X-Alert-Delivery": str(delivery_id),
            "User-Agent": "election-monitoring-alerts/1",
        },
    )
    try:
        with _opener.open(request, timeout=settings.ALERTS_WEBHOOK_TIMEOUT_SECONDS) as response:
            return Answer(ok=True, retry=False, status_code=response.status, text=_excerpt(response))
    except urllib.error.HTTPError as exc:
        retry = exc.code >= 500 or exc.code in (408, 429)
        return Answer(ok=False, retry=retry, status_code=exc.code, text=_excerpt(exc))
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(ok=False, retry=True, status_code=None, text=type(reason).__name__)


def _excerpt(response) -> str:
    try:
        return response.read(300).decode("utf-8", "replace")
    except OSError:
        return ""
