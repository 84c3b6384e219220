"""The webhook's body reader (sms.incoming): any bytes, JSON or form, give a
delivery or `Malformed` (HTTP 400), never another exception; a delivery's
fields are strings PostgreSQL can store."""

import datetime as dt
import json
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.incoming import Incoming, Malformed, incoming_read

CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "", "text/plain"]


def read(body: bytes, content_type: str = "application/json"):
    try:
        return incoming_read(body, content_type, phone_region="KZ")
    except Malformed as exc:
        return exc


def test_a_delivery_as_json_and_as_form_fields():
    fields = {"id": "gw-1", "from": "8 701 123 45 67", "to": "7575", "text": "A 02001", "received_at": "2021-01-10T09:45:00+06:00"}
    expected = Incoming("gw-1", "+77011234567", "7575", "A 02001", dt.datetime(2021, 1, 10, 3, 45, tzinfo=dt.UTC))
    assert read(json.dumps(fields).encode()) == expected
    assert read(urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded") == expected


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"from": "+77011234567"}', "`id` is missing"),
        (b'{"id": "1", "from": "+7701"}', "`from` is not a phone number"),
        (b'{"id": 1, "from": "+77011234567"}', "`id` must be a string"),
        (b'{"id": "1", "from": "+77011234567", "received_at": "2021-01-10T09:45:00"}', "`received_at` must be ISO 8601 with a UTC offset"),
        (
            b'{"id": "1", "from": "+77011234567", "received_at": "1999-01-10T09:45:00Z"}',
            "`received_at` must be between the years 2000 and 2100",
        ),
        (b'{"id": "1", "from": "+77011234567", "text": "\\ud800"}', "`text` is not valid Unicode"),
    ],
)
def test_what_is_malformed_says_which_field(body, why):
    assert str(read(body)) == why


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FIELD = st.sampled_from(["id", "from", "to", "text", "received_at", "x"])
VALUE = st.one_of(
    JSON_VALUES, st.sampled_from(["+77011234567", "87011234567", "2021-01-10T09:45:00+06:00", "9999-12-31T23:59:59-23:59", "A 02001"])
)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(CONTENT_TYPES))
def test_any_bytes_give_a_delivery_or_malformed(body, content_type):
    assert isinstance(read(body, content_type), Incoming | Malformed)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(FIELD, VALUE, max_size=6), st.booleans())
def test_any_fields_give_a_delivery_or_malformed(fields, as_form):
    if as_form:
        body = urllib.parse.urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}).encode()
        result = read(body, "application/x-www-form-urlencoded")
    else:
        result = read(json.dumps(fields).encode())
    assert isinstance(result, Incoming | Malformed)
    if isinstance(result, Incoming):
        for value in (result.gateway_id, result.sender, result.recipient, result.text):
            assert "\x00" not in value
            value.encode("utf-8")
