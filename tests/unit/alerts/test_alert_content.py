"""The webhook body and its signature: the receiver recomputes the HMAC of
the exact bytes with the shared secret."""

import hashlib
import hmac
import json

from hypothesis import given
from hypothesis import strategies as st

from alerts.content import email_subject, email_text, signature, signature_valid, webhook_body


def test_the_signature_is_the_hmac_sha256_of_the_body():
    body = webhook_body(event_id=7, kind="critical_report", payload={"station": "02001", "category": "ballot_stuffing"})
    assert json.loads(body) == {"alert": 7, "kind": "critical_report", "station": "02001", "category": "ballot_stuffing"}
    assert signature(body, "s3cret") == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=5), st.text(min_size=1, max_size=30))
def test_a_changed_body_or_secret_fails_the_check(payload, secret):
    body = webhook_body(event_id=1, kind="observer_silent", payload=payload)
    header = signature(body, secret)
    assert signature_valid(body, secret, header)
    assert not signature_valid(body + b" ", secret, header)
    assert not signature_valid(body, secret + "x", header)
    assert not signature_valid(body, secret, "")


def test_the_email_names_codes_not_people():
    payload = {"station": "02001", "observer": "OBS-ABCDEFGH", "minutes": 95}
    assert email_subject("observer_silent", payload) == "[alert] Observer OBS-ABCDEFGH silent for 95 min (station 02001)"
    assert "minutes: 95" in email_text("observer_silent", payload)
    assert email_subject("critical_report", {}) == "[alert] Critical report at station ?: ?"
