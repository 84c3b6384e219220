"""Evidence integrity: the canonical content of a submission, its SHA-256,
the hash chain links (one chain per election, organization and kind, in order
of receipt), and the statement a signed checkpoint of a chain makes.

The canonical content is one JSON document: what every kind shares (who, the
election, the station, when, the device's fix, the phone's key) and what the
kind says of its own (`incident_content`, `checkin_content`). An incident's
document has no `kind` key (the hashes of reports received before there were
other kinds stay valid); every other kind's has one, so two kinds can never
share a document.

Plain functions over plain values, so an auditor's stdlib-only verifier can
reproduce them from an exported file (see docs/export.md).
"""

import hashlib
import json
from collections.abc import Mapping

GENESIS = "0" * 64


def _number(value) -> float | None:
    return None if value is None else float(value)


def canonical_content(
    *,
    client_uuid: str,
    observer_code: str,
    election_code: str,
    station_code: str,
    occurred_at_utc: str,
    latitude,
    longitude,
    accuracy_m,
    content: Mapping,
) -> bytes:
    """The submitted content as canonical JSON bytes (sorted keys, UTF-8, no
    whitespace). `occurred_at_utc` is `monitoring.localtime.format_utc` text;
    `content` is the kind's own part (`incident_content`, `checkin_content`)."""
    document = {
        "accuracy_m": _number(accuracy_m),
        "client_uuid": str(client_uuid),
        "election": election_code,
        "latitude": _number(latitude),
        "longitude": _number(longitude),
        "observer": observer_code,
        "occurred_at": occurred_at_utc,
        "station": station_code,
        **content,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def incident_content(*, category_code: str, severity: str, description: str, amends: str | None, photo_sha256s) -> dict:
    """An incident report's own part of the canonical content."""
    return {
        "amends": str(amends) if amends else None,
        "category": category_code,
        "description": description,
        "photos": sorted(photo_sha256s),
        "severity": severity,
    }


def checkin_content(*, checkin_kind: str) -> dict:
    """A check-in's own part: arrived, all quiet or left."""
    return {"kind": "checkin", "checkin": checkin_kind}


def checklist_content(*, form_code: str, form_version: int, answers: Mapping, photo_sha256s) -> dict:
    """A checklist's own part: the form and version filed, the answers as
    checked (normalized values), the photos."""
    return {
        "kind": "checklist",
        "form": form_code,
        "form_version": form_version,
        "answers": dict(answers),
        "photos": sorted(photo_sha256s),
    }


def content_sha256(**fields) -> str:
    """SHA-256 of `canonical_content(**fields)`."""
    return hashlib.sha256(canonical_content(**fields)).hexdigest()


def chain_link(*, previous: str, seq: int, report_id: str, received_at_utc: str, content_sha256: str) -> str:
    """Hash of one link: it commits to the previous link, the position, the
    report, the moment of receipt and the content."""
    text = "\n".join([previous, str(seq), str(report_id), received_at_utc, content_sha256])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


CHECKPOINT_FORMAT = "election-reports-checkpoint/1"


def checkpoint_statement(*, election_code: str, organization_id: int, kind: str, seq: int, head: str, time_utc: str) -> bytes:
    """What a checkpoint signs: that the chain of `kind` submissions
    `organization_id` filed for `election_code` had link `head` at position
    `seq` at `time_utc`. Canonical JSON (sorted keys, UTF-8, no whitespace)."""
    document = {
        "election": election_code,
        "format": CHECKPOINT_FORMAT,
        "head": head,
        "kind": kind,
        "organization": organization_id,
        "seq": seq,
        "time": time_utc,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
