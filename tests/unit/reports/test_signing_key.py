"""The embedded mode's evidence signing key (#12 item 2): without
EVIDENCE_SIGNING_KEY or EVIDENCE_SIGNING_KEY_FILE a key file is made on first
run, readable by its owner only, the log says where, and the next run (a new
process: the key cache cleared) signs with the same key."""

import logging
import stat

import pytest

from reports import signing


@pytest.fixture
def embedded_key_path(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = ""
    settings.EVIDENCE_SIGNING_KEY_FILE = ""
    path = tmp_path / "var" / "evidence-signing-key.pem"
    settings.EVIDENCE_SIGNING_KEY_EMBEDDED_FILE = path
    signing.private_key.cache_clear()
    yield path
    signing.private_key.cache_clear()  # the other tests' key again


def test_the_embedded_key_is_made_once_owner_only_and_the_log_says_where(embedded_key_path, caplog):
    assert not embedded_key_path.exists()
    with caplog.at_level(logging.WARNING, logger="reports.signing"):
        first = signing.public_key_pem()
    assert embedded_key_path.is_file()
    assert stat.S_IMODE(embedded_key_path.stat().st_mode) == 0o600
    assert embedded_key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    (record,) = [r for r in caplog.records if r.name == "reports.signing"]
    assert str(embedded_key_path) in record.getMessage() and "EVIDENCE_SIGNING_KEY_FILE" in record.getMessage()

    made = embedded_key_path.read_bytes()
    caplog.clear()
    signing.private_key.cache_clear()  # a second run of the platform
    with caplog.at_level(logging.WARNING, logger="reports.signing"):
        second = signing.public_key_pem()
    assert second == first and embedded_key_path.read_bytes() == made
    assert not [r for r in caplog.records if r.name == "reports.signing"]  # nothing new made, nothing to say
