#!/usr/bin/env python3
"""Verify a CSV export from the election field-reporting platform: reports
(`reports.csv`), counting protocols (`results.csv`) or checklists of one form
(`checklists.csv`).

Standard library only (Python 3.8+): an auditor can run it on any machine,
without the platform.

    python3 verify_export.py reports.csv
    python3 verify_export.py reports.csv --expect-manifest-sha256 <hash shown by the platform>
    python3 verify_export.py reports.csv --public-key evidence-public-key.pem [--checkpoint kept.json ...]

Prints "OK" and a summary, or the FIRST problem: the row that was altered,
removed, reordered or added (its position, line in the file and report id).
Exit status: 0 verified, 1 tampered or incomplete, 2 not a readable export.

What it checks (docs/export.md explains the format):

- every row's `row_sha256` (all its cells, bound to this export's id), its
  position (`row_number`), the SHA-256 of the submitted content
  (`content_sha256`, fixed when the report was received) and, where the previous
  report of the same election is in the file, the hash-chain link (`chain_sha256`);
- the closing manifest: row count, `rows_sha256` over the export id, the
  header and all row hashes, the per-election chain summary, and the
  manifest's own hash.

Checklists and protocols (formats election-checklists-csv/2 and
election-results-csv/2, and /1 of both, without the `source` column) are checked the same way, except their
`content_sha256`: the submitted content it covers (answers as filed, the
client's id, time observed, position, photos) is not all in the columns, so
it cannot be recomputed from the file. It is bound by the chain link where the previous link of its
chain is in the file and, through the chain, by the signed checkpoints;
`manage.py verify_export` compares it with the platform's evidence.

A file whose every hash was recomputed by a forger is self-consistent; compare
its `manifest_sha256` with the value the platform recorded for the export (the
auditors' "Export records" page; `--expect-manifest-sha256`) to rule that out:
it covers the rows hash and the manifest's labels (filters, scope, requester,
time), so it also refuses a file whose labels were edited and re-hashed.
`--expect-rows-sha256` vouches for the rows only. `manage.py verify_export`
does the comparison with the database itself.

Older files verify as they did: reports formats /3, /2 and /1 (no `source`
column), checklists and results /1. The format is read from the manifest and
the header must be that format's.

Signed checkpoints (reports formats /3 and /4, every checklist format) need no trust in the platform's database:
with `--public-key` (the platform's `GET /evidence/public-key.pem`, kept
apart from any file) each checkpoint's Ed25519 signature is checked (in pure
Python, RFC 8032), and each chain of the file, recomputed link by link from
its first report, must pass through the head every checkpoint states: the one
in the manifest and every one given with `--checkpoint` (kept from
`GET /api/v1/checkpoints/` or an earlier export). A history rewritten after a
kept checkpoint is reported, naming the first row whose link disagrees.
"""

from __future__ import annotations

import argparse
import base64
import codecs
import csv
import hashlib
import json
import sys
from dataclasses import dataclass, field

FORMAT = "election-reports-csv/4"
# /3 is /4 without the `source` column. Formats /1 and /2 (read for files
# exported before /3) had one chain per election; /1 also started
# `rows_sha256` with the header alone, so every empty /1 export had the same
# rows hash.
FORMAT_3 = "election-reports-csv/3"
FORMAT_2 = "election-reports-csv/2"
FORMAT_1 = "election-reports-csv/1"
FORMATS = (FORMAT, FORMAT_3, FORMAT_2, FORMAT_1)
MANIFEST_MARK = "#manifest"
GENESIS = "0" * 64
# The export's columns, in order, as the platform's column table defines them
# (reports/export_columns.py; a test keeps the two in step).
COLUMNS = [
    "report_id", "election", "organization", "observer_code", "station_code", "region", "district", "category",
    "severity", "occurred_at_utc", "occurred_at_local", "received_at_utc", "latitude", "longitude", "state", "flags",
    "triage_status", "description", "station_name", "phase", "accuracy_m", "geotag_source", "claimed_station_distance_m",
    "rejection_reasons", "flags_cleared", "risk_score", "assignee", "decided_by", "decided_at", "photo_count",
    "photo_sha256s", "client_uuid", "amends", "content_sha256", "chain_seq", "chain_sha256", "source", "row_number", "row_sha256",
]  # fmt: skip
# Formats /1 to /3: the same columns without `source`.
COLUMNS_3 = [name for name in COLUMNS if name != "source"]
MANIFEST_KEYS_2 = ["format", "export_id", "generated_at", "generated_by", "scope", "filters", "row_count", "chains", "rows_sha256"]
MANIFEST_KEYS = [*MANIFEST_KEYS_2, "public_key", "checkpoints"]  # format /3 and the checklist formats
CHECKLISTS_FORMAT = "election-checklists-csv/2"
RESULTS_FORMAT = "election-results-csv/2"
# /1 of both: the identity columns without `source`.
CHECKLISTS_FORMAT_1 = "election-checklists-csv/1"
RESULTS_FORMAT_1 = "election-results-csv/1"
# Formats with per-organization chains, signed checkpoints and the public key in the manifest.
SIGNED = (FORMAT, FORMAT_3, CHECKLISTS_FORMAT, CHECKLISTS_FORMAT_1, RESULTS_FORMAT, RESULTS_FORMAT_1)
# The checklist exports' columns (checklists/results_columns.py; a test keeps them in step):
# identity, then one `q_<question>` per question (checklists) or the sample's facts,
# the figures and one `votes_<party>` per party (results), then integrity.
SUBMISSION_IDENTITY = ["submission_id", "election", "organization", "observer_code", "form", "form_version", "station_code",
                       "region", "district", "received_at_utc", "source"]  # fmt: skip
SUBMISSION_IDENTITY_1 = SUBMISSION_IDENTITY[:-1]  # checklists and results /1
SUBMISSION_INTEGRITY = ["flags", "content_sha256", "chain_seq", "chain_sha256", "row_number", "row_sha256"]
RESULTS_FIXED = ["sampled", "stratum", "stratum_stations", "stratum_sample", "counted", "registered_voters", "ballots_received",
                 "ballots_issued", "ballots_spoiled", "ballots_unused", "ballots_cast", "ballots_invalid"]  # fmt: skip
CHECKPOINT_FORMAT = "election-reports-checkpoint/1"

csv.field_size_limit(2**31 - 1)


def _submission_header(identity, middle):
    """A header check: identity columns, the kind's own columns (each accepted by `middle`), integrity columns."""

    def check(header):
        start, end = len(identity), len(header) - len(SUBMISSION_INTEGRITY)
        return header[:start] == identity and header[end:] == SUBMISSION_INTEGRITY and middle(header[start:end])

    return check


def _questions(middle):
    return all(c.startswith("q_") for c in middle)


def _results(middle):
    return middle[: len(RESULTS_FIXED)] == RESULTS_FIXED and all(c.startswith("votes_") for c in middle[len(RESULTS_FIXED) :])


@dataclass(frozen=True)
class Layout:
    """What differs between the kinds of export: the formats and each one's
    header, the id column, the chains' kind, and whether the content hash
    follows from the columns."""

    headers: dict  # format -> (header -> bool), the newest first
    id_column: str = "submission_id"
    noun: str = "submission"
    kind: str = "checklist"
    content_recomputed: bool = False

    @property
    def formats(self):
        return tuple(self.headers)

    def header_ok(self, header, export_format=None):
        """The header is the one of `export_format`, or (no format known) of any of the layout's formats."""
        checks = [self.headers[export_format]] if export_format in self.headers else self.headers.values()
        return any(check(header) for check in checks)


def _exactly(columns):
    return lambda header: header == columns


REPORTS = Layout(
    {FORMAT: _exactly(COLUMNS), FORMAT_3: _exactly(COLUMNS_3), FORMAT_2: _exactly(COLUMNS_3), FORMAT_1: _exactly(COLUMNS_3)},
    "report_id",
    "report",
    "incident",
    True,
)
CHECKLISTS = Layout(
    {
        CHECKLISTS_FORMAT: _submission_header(SUBMISSION_IDENTITY, _questions),
        CHECKLISTS_FORMAT_1: _submission_header(SUBMISSION_IDENTITY_1, _questions),
    }
)
RESULTS = Layout(
    {
        RESULTS_FORMAT: _submission_header(SUBMISSION_IDENTITY, _results),
        RESULTS_FORMAT_1: _submission_header(SUBMISSION_IDENTITY_1, _results),
    }
)
LAYOUTS = (REPORTS, RESULTS, CHECKLISTS)
UNRECOMPUTED = (
    "content_sha256 cannot be recomputed from this file: the submitted content it covers (answers as filed, the client's id, "
    "time observed, position, photos) is not all in its columns; it is bound by the chain links checked here and by the signed checkpoints, "
    "and `manage.py verify_export` compares it with the platform's evidence"
)


def _layout(header, manifest):
    """The layout the manifest's format names, or (no manifest) the one the header fits."""
    if manifest:
        found = [layout for layout in LAYOUTS if manifest.get("format") in layout.formats]
        if not found:
            known = ", ".join(f for layout in LAYOUTS for f in layout.formats)
            raise NotAnExport(f"unknown export format {manifest.get('format')!r} (this tool reads {known})")
        return found[0]
    fitting = [layout for layout in LAYOUTS if layout.header_ok(header)]
    if fitting:
        return fitting[0]
    if "row_sha256" not in header or not ("report_id" in header or "submission_id" in header):
        raise NotAnExport("the first line is not the header of an export")
    return REPORTS if "report_id" in header else CHECKLISTS


def _drop_cut_character(error):
    """A download cut inside a multi-byte character ends in an incomplete UTF-8
    sequence: drop it, so the verifier can say the file was cut short. Invalid
    bytes anywhere else still make the file unreadable."""
    if isinstance(error, UnicodeDecodeError) and error.reason == "unexpected end of data":
        return "", error.end
    raise error


codecs.register_error("verify_export.cut", _drop_cut_character)


# --- The hashes (the same definitions as reports/integrity.py and reports/export.py) ---


def restore(cell):
    """Undo the formula-injection guard: exactly one leading quote was added."""
    return cell[1:] if cell.startswith("'") else cell


def _number(text):
    return None if text == "" else float(text)


def content_sha256(row):
    """SHA-256 of the report's submitted content, as computed when it was received."""
    document = {
        "accuracy_m": _number(row["accuracy_m"]),
        "amends": row["amends"] or None,
        "category": row["category"],
        "client_uuid": row["client_uuid"],
        "description": row["description"],
        "election": row["election"],
        "latitude": _number(row["latitude"]),
        "longitude": _number(row["longitude"]),
        "observer": row["observer_code"],
        "occurred_at": row["occurred_at_utc"],
        "photos": sorted(h for h in row["photo_sha256s"].split(";") if h),
        "severity": row["severity"],
        "station": row["station_code"],
    }
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_link(previous, seq, report_id, received_at_utc, content_hash):
    text = "\n".join([previous, str(seq), str(report_id), received_at_utc, content_hash])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_sha256(export_id, cells):
    document = json.dumps([export_id, *cells], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class RowsDigest:
    def __init__(self, export_id, header):
        first = list(header) if export_id is None else [export_id, *header]  # None: format /1
        self._hash = hashlib.sha256(json.dumps(first, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    def update(self, row_hash):
        self._hash.update(row_hash.encode("ascii") + b"\n")

    def hexdigest(self):
        return self._hash.hexdigest()


def manifest_sha256(entries):
    document = json.dumps([list(e) for e in entries], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


# --- Ed25519 signature verification (RFC 8032, section 5.1.7), standard library only ---

_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _point(encoded):
    """A point in extended coordinates from its 32-byte encoding, or None."""
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _add(a, b):
    e = (a[1] - a[0]) * (b[1] - b[0]) % _P
    h = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    dd = 2 * a[2] * b[2] % _P
    e, f, g, h = h - e, dd - c, dd + c, h + e
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _same(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


_GY = 4 * pow(5, _P - 2, _P) % _P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % _P)


def ed25519_verify(public_key, message, signature):
    """True if `signature` (64 bytes) is `public_key`'s (32 bytes) Ed25519 signature of `message`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _point(public_key), _point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _Q
    return _same(_multiply(s, _G), _add(r, _multiply(h, a)))


# An Ed25519 SubjectPublicKeyInfo (RFC 8410) is this DER prefix and the 32-byte key.
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def read_public_key(pem_text):
    """The 32 raw bytes of an Ed25519 public key in PEM (as the platform serves it)."""
    body = "".join(line.strip() for line in pem_text.strip().splitlines() if line.strip() and not line.startswith("-----"))
    try:
        der = base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise NotAnExport(f"the public key is not PEM: {exc}") from exc
    if len(der) != 44 or not der.startswith(_SPKI_PREFIX):
        raise NotAnExport("the public key is not an Ed25519 public key in PEM")
    return der[12:]


def checkpoint_statement(checkpoint):
    """The bytes a checkpoint's signature covers (reports/integrity.py)."""
    document = {key: checkpoint[key] for key in ("election", "head", "kind", "organization", "seq", "time")}
    document["format"] = CHECKPOINT_FORMAT
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_checkpoints(path):
    """The checkpoints of a kept file: one checkpoint, a list, or the API's page ({"results": [...]})."""
    with open(path, encoding="utf-8") as handle:
        try:
            data = json.load(handle)
        except ValueError as exc:
            raise NotAnExport(f"{path} is not a checkpoint file (JSON): {exc}") from exc
    if isinstance(data, dict):
        data = data.get("results", [data])
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise NotAnExport(f"{path} holds no checkpoints")
    return data


class _Checkpoints:
    """The signed checkpoints a file is checked against: the manifest's own
    (one per chain, at the file's last link) and those the auditor kept."""

    def __init__(self, manifest, public_key, kept):
        self.notes = []
        self.public_key = public_key
        self.embedded = []
        self.kept = list(kept)
        self.key_problem = None
        self.names = {}  # (election, organization id, kind) -> the organization's name in the rows
        if manifest.get("format") not in SIGNED:
            return
        try:
            self.embedded = json.loads(manifest.get("checkpoints") or "[]")
            for chain in json.loads(manifest.get("chains") or "[]"):
                self.names[(chain["election"], chain["organization_id"], chain["kind"])] = chain["organization"]
        except (ValueError, TypeError, KeyError):
            self.embedded = []
        embedded_key = None
        try:
            embedded_key = read_public_key(manifest.get("public_key", ""))
        except NotAnExport:
            self.key_problem = "the manifest's public key is not an Ed25519 public key"
        if public_key is None:
            self.public_key = embedded_key
            self.notes.append(
                "signatures checked with the key the file carries; give --public-key (the platform's /evidence/public-key.pem) "
                "to rule out a file re-signed with another key"
            )
        elif embedded_key is not None and embedded_key != public_key:
            self.key_problem = "the manifest's public key is not the platform's key given with --public-key"

    def _position(self, checkpoint):
        try:
            name = self.names.get((checkpoint["election"], checkpoint["organization"], checkpoint["kind"]))
            return None if name is None else (checkpoint["election"], name, int(checkpoint["seq"]))
        except (KeyError, TypeError, ValueError):
            return None

    def wanted(self):
        return frozenset(p for p in map(self._position, self.embedded + self.kept) if p is not None)

    def _signed(self, checkpoint):
        try:
            signature = base64.b64decode(checkpoint["signature"], validate=True)
            return self.public_key is not None and ed25519_verify(self.public_key, checkpoint_statement(checkpoint), signature)
        except (KeyError, TypeError, ValueError):
            return False

    def check(self, links, chains):
        """The first problem, or None (notes say what could not be checked)."""
        if self.key_problem:
            return Problem("signature", None, None, "", self.key_problem)
        for origin, group in (("the manifest's", self.embedded), ("a kept", self.kept)):
            for checkpoint in group:
                if not self._signed(checkpoint):
                    return Problem("signature", None, None, "", f"{origin} checkpoint {_describe(checkpoint)} has no valid signature")
        disagreeing = []
        for origin, group in (("in the manifest", self.embedded), ("kept", self.kept)):
            for checkpoint in group:
                position = self._position(checkpoint)
                if position is None:
                    self.notes.append(f"checkpoint {_describe(checkpoint)} ({origin}) is about no chain of this file: not checked")
                    continue
                link = links.get(position)
                chain = chains.get(position[:2])
                if link is None:
                    last = chain["last_seq"] if chain else None
                    self.notes.append(
                        f"checkpoint {_describe(checkpoint)} ({origin}) is beyond the file's last link of its chain (position {last}): not checked"
                    )
                    continue
                row, line, report_id, sha256, from_start = link
                if not from_start:
                    self.notes.append(
                        f"checkpoint {_describe(checkpoint)} ({origin}): the file does not hold its chain from the first report"
                    )
                    continue
                if sha256 != checkpoint["head"]:
                    disagreeing.append((row, line, report_id, checkpoint, origin))
        if disagreeing:
            row, line, report_id, checkpoint, origin = min(disagreeing, key=lambda d: d[0])
            agreeing = [c for c in self.embedded + self.kept if self._position(c) and self._position(c)[:2] == self._position(checkpoint)[:2]
                        and int(c["seq"]) < int(checkpoint["seq"]) and links.get(self._position(c), (0, 0, "", None))[3] == c["head"]]  # fmt: skip
            since = max((int(c["seq"]) for c in agreeing), default=0)
            detail = (
                f"its chain link (position {checkpoint['seq']}) is not the head signed at {checkpoint['time']} ({origin}): "
                f"the chain was rewritten after that checkpoint, at one of positions {since + 1}..{checkpoint['seq']}"
            )
            return Problem("rewritten", row, line, report_id, detail)
        checked = len(self.embedded) + len(self.kept)
        if checked:
            self.notes.append(f"{checked} signed checkpoint(s) checked: every chain passes through each checked head")
        return None


def _describe(checkpoint):
    return f"{checkpoint.get('election')}/{checkpoint.get('organization')}/{checkpoint.get('kind')}#{checkpoint.get('seq')}"


# --- Reading ---


@dataclass
class Problem:
    kind: str  # altered, removed, reordered, added, manifest, cut
    row: int | None  # position of the row among the data rows (1 = first after the header; 0 = the header)
    line: int | None  # line of the file where that row starts
    report_id: str
    detail: str
    noun: str = "report"  # what the id names: a report or a submission (checklist, protocol)

    def __str__(self):
        where = "the header" if self.row == 0 else (f"row {self.row}" if self.row else "the manifest")
        extras = [f"line {self.line}"] if self.line else []
        if self.report_id:
            extras.append(f"{self.noun} {self.report_id}")
        suffix = f" ({', '.join(extras)})" if extras else ""
        verbs = {
            "altered": "was altered",
            "removed": "was removed",
            "reordered": "is out of order",
            "added": "was added",
            "manifest": "does not match the rows",
            "rewritten": "disagrees with a signed checkpoint",
            "signature": "is not signed by the platform's key",
            "cut": "is incomplete",
        }
        return f"{where}{suffix} {verbs.get(self.kind, self.kind)}: {self.detail}"


@dataclass
class Result:
    ok: bool
    rows: int = 0
    manifest: dict = field(default_factory=dict)
    problem: Problem | None = None
    notes: list = field(default_factory=list)

    def summary(self):
        if not self.ok:
            return f"FAILED: {self.problem}"
        m = self.manifest
        lines = [
            f"OK: {self.rows} rows verified; export {m.get('export_id')} generated {m.get('generated_at')} "
            f"by {m.get('generated_by')} ({m.get('scope')})",
            f"  filters: {m.get('filters')}",
            f"  rows_sha256: {m.get('rows_sha256')}",
            f"  manifest_sha256: {m.get('manifest_sha256')}",
        ]
        for chain in json.loads(m.get("chains") or "[]"):
            completeness = "complete from the first report" if chain.get("complete_from_start") else "not contiguous from the first report"
            name = chain["election"] + (f" / {chain['organization']} / {chain.get('kind')}" if "organization" in chain else "")
            lines.append(
                f"  chain {name}: positions {chain['first_seq']}..{chain['last_seq']}, {completeness}; last link {chain['last_sha256']}"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


class NotAnExport(Exception):
    pass


def _records(path):
    """(first line number, cells) for every CSV record of the file."""
    with open(path, encoding="utf-8-sig", errors="verify_export.cut", newline="") as handle:
        reader = csv.reader(handle)
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1


def _scan(path):
    """Pass 1: the header, the manifest, how often each row_number occurs, and
    what follows the manifest. Memory: one byte per row."""
    header = None
    manifest_entries = []
    counts = bytearray()
    data_rows = 0
    after_manifest = None
    try:
        for line, cells in _records(path):
            if not cells:
                continue  # a blank line carries nothing
            if header is None:
                header = cells
                continue
            if cells[0] == MANIFEST_MARK:
                if len(cells) >= 3:
                    manifest_entries.append((cells[1], restore(cells[2])))
                continue
            if manifest_entries:
                if after_manifest is None:
                    after_manifest = (line, cells)
                continue
            data_rows += 1
            number = _row_number(cells, header)
            if number is not None and number < 50_000_000:
                if number >= len(counts):
                    counts.extend(b"\0" * (number + 1 - len(counts) + 1024))
                counts[number] = min(counts[number] + 1, 255)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise NotAnExport(f"not a readable UTF-8 CSV file: {exc}") from exc
    if header is None:
        raise NotAnExport("the file is empty")
    return header, manifest_entries, counts, data_rows, after_manifest


def _is_sha256(text):
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _row_number(cells, header):
    try:
        value = restore(cells[header.index("row_number")])
        return int(value) if value.isdigit() else None
    except (ValueError, IndexError):
        return None


def _lookahead(iterator):
    """Pairs (current, next) over an iterator; next is None at the end."""
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def verify(path, expected_rows_sha256=None, expected_manifest_sha256=None, public_key=None, checkpoints=()):
    """Check the file; returns a Result with the first Problem, if any. Raises
    NotAnExport when the file is not a readable export at all. The expected
    hashes are the platform's record of the export (trusted values);
    `public_key` is the platform's key (32 raw bytes, `read_public_key`) and
    `checkpoints` the signed checkpoints the auditor kept (dicts)."""
    header, entries, counts, data_rows, after_manifest = _scan(path)
    manifest = dict(entries)
    layout = _layout(header, manifest)
    result = _verify(path, layout, header, manifest, (entries, counts, data_rows, after_manifest),
                     (expected_rows_sha256, expected_manifest_sha256), public_key, checkpoints)  # fmt: skip
    if result.problem is not None:
        result.problem.noun = layout.noun
    return result


def _verify(path, layout, header, manifest, scanned, expected, public_key, checkpoints):
    entries, counts, data_rows, after_manifest = scanned
    expected_rows_sha256, expected_manifest_sha256 = expected
    if not layout.header_ok(header, manifest.get("format")):
        return Result(False, problem=Problem("altered", 0, 1, "", "the column names differ from the export format"))
    signed = _Checkpoints(manifest, public_key, checkpoints)
    walk = _Walk(header, manifest, counts, signed.wanted(), layout)
    rows = (record for record in _records(path) if record[1] and record[1][0] != MANIFEST_MARK)
    next(rows)  # the header
    for position, ((line, cells), following) in enumerate(_lookahead(rows), start=1):
        if position > data_rows:
            break  # lines after the manifest; handled by finish()
        problem = walk.check(position, line, cells, following)
        if problem is not None:
            if not manifest and following is None:
                # No manifest and the last row is what fails: the download stopped inside it.
                detail = "the file ends inside this row, without its manifest: it was cut short"
                problem = Problem("cut", position, line, restore(cells[0]) if len(cells) > 1 else "", detail)
            return Result(False, position - 1, manifest, problem)
    trusted = {"rows_sha256": expected_rows_sha256, "manifest_sha256": expected_manifest_sha256}
    result = walk.finish(entries, after_manifest, trusted)
    if result.ok and not layout.content_recomputed:
        result.notes.append(UNRECOMPUTED)
    if result.ok and manifest.get("format") in SIGNED:
        problem = signed.check(walk.links, walk.chains)
        if problem is not None:
            return Result(False, result.rows, manifest, problem, result.notes)
        result.notes.extend(signed.notes)
    elif result.ok and checkpoints:
        result.notes.append("this file's format has no per-organization chains: the checkpoints were not checked")
    return result


class _Walk:
    """The rows in file order, each checked against itself and the rows before
    it: its hash, its position, its content hash and its chain link."""

    def __init__(self, header, manifest, counts, wanted=frozenset(), layout=REPORTS):
        self.header = header
        self.layout = layout
        # Chain positions a checkpoint states a head for: (election, organization, seq)
        # → (row position, line, report id, chain_sha256, linked from the chain's first report).
        self.wanted = wanted
        self.links = {}
        self.index = {name: i for i, name in enumerate(header)}
        self.manifest = manifest
        self.export_id = manifest.get("export_id")
        try:
            self.promised = int(manifest["row_count"]) if "row_count" in manifest else None
        except ValueError:
            self.promised = None
        self.counts = counts  # how often each row_number occurs in the file (pass 1)
        self.seen = bytearray(len(counts))
        self.digest = RowsDigest(None if manifest.get("format") == FORMAT_1 else self.export_id, header)
        self.chains = {}
        # /3: a chain per election and organization (the file holds one kind); before: per election.
        self.per_organization = manifest.get("format", layout.formats[0]) in SIGNED
        self.unlinked = 0
        self.expected = 1

    def hash_ok(self, cells):
        if self.export_id is None:
            return True  # no manifest: row hashes cannot be checked (reported by finish())
        return len(cells) == len(self.header) and row_sha256(self.export_id, [restore(c) for c in cells[:-1]]) == restore(cells[-1])

    def check(self, position, line, cells, following):
        """The row's first problem, or None after taking it into the file's
        digest and chain summary."""
        report_id = restore(cells[0]) if cells else ""
        if not self.hash_ok(cells):
            return self._unhashed(position, line, cells, following, report_id)
        if len(cells) != len(self.header):  # only reachable without a manifest (the row hash catches it otherwise)
            return Problem("altered", position, line, report_id, f"it has {len(cells)} cells instead of {len(self.header)}")
        if not _is_sha256(restore(cells[-1])):
            return Problem("altered", position, line, report_id, "row_sha256 is not a SHA-256")
        number = _row_number(cells, self.header)
        if number != self.expected:
            return self._misplaced(position, line, report_id, number)
        row = {name: restore(cells[i]) for name, i in self.index.items()}
        if self.layout.content_recomputed and content_sha256(row) != row["content_sha256"]:
            return Problem("altered", position, line, report_id, "the submitted content does not match content_sha256")
        link, entry = _link(row, self.chains, self.per_organization, self.layout.id_column)
        if link is False:
            return Problem("altered", position, line, report_id, "the hash-chain link does not match chain_sha256")
        key = _chain_key(row, self.per_organization)
        self.chains[key] = entry
        if self.wanted and (*key, entry["last_seq"]) in self.wanted:
            from_start = entry["contiguous"] and entry["first_seq"] == 1
            self.links[(*key, entry["last_seq"])] = (position, line, report_id, row["chain_sha256"], from_start)
        self.unlinked += link is None
        if number < len(self.seen):
            self.seen[number] = 1
        self.digest.update(row["row_sha256"])
        self.expected += 1
        return None

    def _unhashed(self, position, line, cells, following, report_id):
        """A row whose hash fails: one that does not belong (the next row is
        the one expected here, or the file already holds every promised row),
        or an altered one."""
        follows = following is not None and _row_number(following[1], self.header) == self.expected and self.hash_ok(following[1])
        if follows or (self.promised is not None and self.expected > self.promised):
            return Problem("added", position, line, report_id, "this row is not part of the export")
        detail = _what_changed(cells, self.index, self.chains, self.per_organization, self.layout)
        return Problem("altered", position, line, report_id, detail)

    def _misplaced(self, position, line, report_id, number):
        """A sound row whose row_number is not the one expected here."""
        expected = self.expected
        if number is None:
            return Problem("altered", position, line, report_id, "row_number is not a number")
        if number < expected or (number < len(self.seen) and self.seen[number]):
            return Problem("added", position, line, report_id, f"a second copy of row {number}")
        if expected >= len(self.counts) or self.counts[expected] == 0:
            return Problem("removed", expected, line, "", f"row {expected} is missing: row {number} follows row {expected - 1}")
        return Problem("reordered", position, line, report_id, f"row {number} stands where row {expected} belongs")

    def finish(self, entries, after_manifest, trusted):
        """The file after its last row: the manifest is there, promises no
        more rows than came, is the file's end, and matches the rows."""
        manifest, expected = self.manifest, self.expected
        rows_checked = expected - 1
        if not manifest:
            detail = f"the file ends after row {rows_checked} without its manifest: it was cut short"
            return Result(False, rows_checked, manifest, Problem("removed", expected, None, "", detail))
        if self.promised is not None and rows_checked < self.promised:
            missing = f"row {expected}" if expected == self.promised else f"rows {expected}..{self.promised}"
            detail = f"{missing} of {self.promised} missing at the end"
            return Result(False, rows_checked, manifest, Problem("removed", expected, None, "", detail))
        if after_manifest is not None:
            line, cells = after_manifest
            problem = Problem("added", rows_checked + 1, line, cells[0] if cells else "", "a row after the manifest")
            return Result(False, rows_checked, manifest, problem)
        problem = _check_manifest(entries, manifest, self.digest.hexdigest(), rows_checked, self.chains)
        problem = problem or _check_chains(manifest, self.chains, self.per_organization, self.layout.kind)
        problem = problem or _check_trusted(manifest, trusted)
        if problem is not None:
            return Result(False, rows_checked, manifest, problem)
        notes = []
        if trusted["rows_sha256"] and not trusted["manifest_sha256"]:
            notes.append(
                "rows_sha256 vouches for the rows only; --expect-manifest-sha256 also vouches for the filters, scope, requester and time"
            )
        if self.unlinked:
            notes.append(
                f"{self.unlinked} row(s) follow a chain position that is not in this file (a filtered export); their links were not checked"
            )
        return Result(True, rows_checked, manifest, None, notes)


def _chain_key(row, per_organization):
    return (row["election"], row["organization"]) if per_organization else (row["election"],)


def _link(row, chains, per_organization=True, id_column="report_id"):
    """Check the row's hash-chain link against the previous row of its chain.

    Returns (status, chain entry after this row): status True if the link checks,
    None if the previous link is not in the file (a filtered export), False if
    it fails. `chains` is not modified."""
    try:
        seq = int(row["chain_seq"])
    except ValueError:
        return False, None
    previous = chains.get(_chain_key(row, per_organization))
    if previous is None:
        entry = {"first_seq": seq, "last_seq": seq, "last_sha256": row["chain_sha256"], "contiguous": True}
        prior = None
    else:
        follows = seq == previous["last_seq"] + 1
        entry = {
            "first_seq": previous["first_seq"],
            "last_seq": seq,
            "last_sha256": row["chain_sha256"],
            "contiguous": previous["contiguous"] and follows,
        }
        prior = previous["last_sha256"] if follows else None
    if seq == 1:
        prior = GENESIS
    if prior is None:
        return None, entry
    return chain_link(prior, seq, row[id_column], row["received_at_utc"], row["content_sha256"]) == row["chain_sha256"], entry


def _what_changed(cells, index, chains, per_organization=True, layout=REPORTS):
    if len(cells) != len(index):
        return f"it has {len(cells)} cells instead of {len(index)}"
    row = {name: restore(cells[i]) for name, i in index.items()}
    if layout.content_recomputed and content_sha256(row) != row["content_sha256"]:
        return "the submitted content (what the observer reported) was changed"
    if _link(row, chains, per_organization, layout.id_column)[0] is False:
        return "the receipt data (id, time, chain position or content hash) was changed"
    if not layout.content_recomputed:
        return "a cell was changed: row_sha256 does not match the row's cells"
    return "a column outside the submitted content (state, triage, flags, geotag, ...) was changed"


def _check_manifest(entries, manifest, rows_sha256, rows, chains):
    keys = [k for k, _ in entries]
    expected = MANIFEST_KEYS if manifest.get("format") in SIGNED else MANIFEST_KEYS_2
    if keys[:-1] != expected or keys[-1] != "manifest_sha256":
        return Problem("manifest", None, None, "", "manifest entries are missing, extra or out of order")
    if manifest_sha256(entries[:-1]) != manifest["manifest_sha256"]:
        return Problem("manifest", None, None, "", "a manifest entry was edited (manifest_sha256 does not match)")
    if str(rows) != manifest["row_count"]:
        return Problem("manifest", None, None, "", f"row_count says {manifest['row_count']}, the file has {rows} rows")
    if rows_sha256 != manifest["rows_sha256"]:
        return Problem("manifest", None, None, "", "rows_sha256 does not match the rows")
    return None


def _check_chains(manifest, chains, per_organization, kind="incident"):
    """The manifest's chain summary against the chains of the rows."""
    try:
        stated = json.loads(manifest["chains"])
        if per_organization:
            # The organization's id is not a column: take it from the entry that names the chain.
            ids = {(c["election"], c["organization"]): c.get("organization_id") for c in stated}
    except (ValueError, TypeError, KeyError):
        return Problem("manifest", None, None, "", "the chain summary is not readable")
    summary = []
    for key, c in sorted(chains.items()):
        entry = {"complete_from_start": c["contiguous"] and c["first_seq"] == 1, "election": key[0], "first_seq": c["first_seq"],
                 "last_seq": c["last_seq"], "last_sha256": c["last_sha256"]}  # fmt: skip
        if per_organization:
            entry.update(organization=key[1], organization_id=ids.get(key), kind=kind)
        summary.append(entry)
    if stated != summary:
        return Problem("manifest", None, None, "", "the chain summary does not match the rows")
    return None


def _check_trusted(manifest, trusted):
    """The self-consistent file against the platform's record of the export."""
    expected = trusted["rows_sha256"]
    if expected and expected.strip().lower() != manifest["rows_sha256"]:
        detail = "the file is self-consistent but its rows_sha256 differs from the trusted value: it was re-hashed after the export"
        return Problem("manifest", None, None, "", detail)
    expected = trusted["manifest_sha256"]
    if expected and expected.strip().lower() != manifest["manifest_sha256"]:
        detail = (
            "the file is self-consistent but its manifest_sha256 differs from the trusted value: it was relabelled "
            "(filters, scope, requester or time edited) or re-hashed after the export"
        )
        return Problem("manifest", None, None, "", detail)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify a reports, results or checklists CSV export (OK or the first tampered row).")
    parser.add_argument("file", help="the exported CSV file")
    parser.add_argument(
        "--expect-manifest-sha256", help="the manifest_sha256 the platform recorded for this export (covers the rows and the labels)"
    )
    parser.add_argument("--expect-rows-sha256", help="the rows_sha256 the platform recorded for this export (the rows only)")
    parser.add_argument("--public-key", help="the platform's evidence public key (PEM, from /evidence/public-key.pem)")
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        help="a signed checkpoint kept earlier (JSON: one, a list, or the API's page); repeatable",
    )
    args = parser.parse_args(argv)
    try:
        key = None
        if args.public_key:
            with open(args.public_key, encoding="ascii") as handle:
                key = read_public_key(handle.read())
        kept = [c for path in args.checkpoint for c in read_checkpoints(path)]
        result = verify(
            args.file,
            expected_rows_sha256=args.expect_rows_sha256,
            expected_manifest_sha256=args.expect_manifest_sha256,
            public_key=key,
            checkpoints=kept,
        )
    except (OSError, UnicodeDecodeError, NotAnExport) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
