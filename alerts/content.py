"""What an alert says, and the webhook's signature: pure functions of the
event's payload (codes, numbers, pseudonymous public codes; never a name,
phone number or report text)."""

import hashlib
import hmac
import json

SIGNATURE_HEADER = "X-Signature"


def webhook_body(*, event_id: int, kind: str, payload: dict) -> bytes:
    """The JSON the webhook receives: compact, keys sorted, UTF-8, so the
    signature is over exactly the bytes sent."""
    document = {"alert": event_id, "kind": kind, **payload}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes, secret: str) -> str:
    """The `X-Signature` header's value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, secret: str, header: str) -> bool:
    """What a receiver checks (documented in docs/alerts.md; the tests' receiver uses it)."""
    return hmac.compare_digest(signature(body, secret), header or "")


_SUBJECTS = {
    "critical_report": "Critical report at station {station}: {category}",
    "pipeline_failed": "Report at station {station} could not be processed",
    "observer_silent": "Observer {observer} silent for {minutes} min (station {station})",
    "observer_missing": "Observer {observer} has not arrived at station {station}",
}


def email_subject(kind: str, payload: dict) -> str:
    values = {"station": "?", "category": "?", "observer": "?", "minutes": "?"} | {k: v for k, v in payload.items() if v not in (None, "")}
    return "[alert] " + _SUBJECTS[kind].format(**values)


def email_text(kind: str, payload: dict) -> str:
    """The e-mail's body: the subject, then every payload field on its own line."""
    lines = [email_subject(kind, payload), ""]
    lines += [f"{name}: {_plain(value)}" for name, value in sorted(payload.items())]
    return "\n".join(lines) + "\n"


def _plain(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
