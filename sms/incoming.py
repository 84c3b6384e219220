"""A gateway delivery's fields, read from its raw body (JSON or form fields):
`id`, `from` (E.164), `to`, `text`, `received_at` (ISO 8601 with offset,
optional). Pure: anything else is `Malformed` (HTTP 400), never an exception
of another kind."""

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.utils.dateparse import parse_datetime

from roster.rows import phone_normalize

MAX_ID = 128
MAX_TO = 32
MAX_TEXT = 2000  # a concatenated SMS of 13 parts, in full


class Malformed(ValueError):
    """The body is not a delivery: the message says which field and why (no content echoed)."""


@dataclass(frozen=True)
class Incoming:
    gateway_id: str
    sender: str  # E.164
    recipient: str
    text: str
    sent_at: dt.datetime | None


def _fields(body: bytes, content_type: str) -> dict:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    if content_type == "application/json":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise Malformed("the body is not JSON") from None
        if not isinstance(data, dict):
            raise Malformed("the body is not a JSON object")
        return data
    if content_type in ("application/x-www-form-urlencoded", ""):
        try:
            return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=20))
        except ValueError:
            raise Malformed("the body is not form fields") from None
    raise Malformed("send application/json or application/x-www-form-urlencoded")


def _string(data: dict, name: str, *, limit: int, required: bool = True) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise Malformed(f"`{name}` is missing")
        return ""
    if not isinstance(value, str):
        raise Malformed(f"`{name}` must be a string")
    if len(value) > limit:
        raise Malformed(f"`{name}` is longer than {limit} characters")
    # PostgreSQL text holds neither NUL nor lone surrogates.
    if "\x00" in value:
        raise Malformed(f"`{name}` holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed(f"`{name}` is not valid Unicode") from None
    return value


def _moment(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = parse_datetime(text)
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Malformed("`received_at` must be ISO 8601 with a UTC offset")
    if not 2000 <= moment.year <= 2100:
        raise Malformed("`received_at` must be between the years 2000 and 2100")
    try:
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise Malformed("`received_at` must be ISO 8601 with a UTC offset") from None


def incoming_read(body: bytes, content_type: str, *, phone_region: str) -> Incoming:
    data = _fields(body, content_type)
    gateway_id = _string(data, "id", limit=MAX_ID)
    sender = phone_normalize(_string(data, "from", limit=MAX_TO), phone_region)
    if sender is None:
        raise Malformed("`from` is not a phone number")
    return Incoming(
        gateway_id=gateway_id,
        sender=sender,
        recipient=_string(data, "to", limit=MAX_TO, required=False),
        text=_string(data, "text", limit=MAX_TEXT, required=False),
        sent_at=_moment(_string(data, "received_at", limit=64, required=False)),
    )
