"""Evidence integrity: the canonical content of a report, its SHA-256, and the
per-election hash chain that links reports in order of receipt.

Plain functions over plain values, so an auditor's stdlib-only verifier can
reproduce them from an exported file (see docs/export.md).
"""

import hashlib
import json

GENESIS = "0" * 64


def _number(value) -> float | None:
    return None if value is None else float(value)


def canonical_content(
    *,
    client_uuid: str,
    observer_code: str,
    election_code: str,
    station_code: str,
    category_code: str,
    severity: str,
    occurred_at_utc: str,
    description: str,
    latitude,
    longitude,
    accuracy_m,
    amends: str | None,
    photo_sha256s,
) -> bytes:
    """The submitted content as canonical JSON bytes (sorted keys, UTF-8, no
    whitespace). `occurred_at_utc` is `monitoring.localtime.format_utc` text."""
    document = {
        "accuracy_m": _number(accuracy_m),
        "amends": str(amends) if amends else None,
        "category": category_code,
        "client_uuid": str(client_uuid),
        "description": description,
        "election": election_code,
        "latitude": _number(latitude),
        "longitude": _number(longitude),
        "observer": observer_code,
        "occurred_at": occurred_at_utc,
        "photos": sorted(photo_sha256s),
        "severity": severity,
        "station": station_code,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_sha256(**fields) -> str:
    return hashlib.sha256(canonical_content(**fields)).hexdigest()


def chain_link(*, previous: str, seq: int, report_id: str, received_at_utc: str, content_sha256: str) -> str:
    """Hash of one link: it commits to the previous link, the position, the
    report, the moment of receipt and the content."""
    text = "\n".join([previous, str(seq), str(report_id), received_at_utc, content_sha256])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
