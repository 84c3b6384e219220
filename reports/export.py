"""The CSV export format: columns, cell formatting, formula-injection
neutralization, row hashes and the closing manifest. Pure functions; the
database side (what rows, in which order, who asked) is
`reports.services.exports`. docs/export.md is the reader's version of this
module, and `tools/verify_export.py` re-implements the checks with the
standard library only (a test keeps the two in step).

File layout (UTF-8, RFC 4180, CRLF line ends, optional BOM):

    header line (COLUMNS)
    one line per report, in chain order (election, chain_seq)
    #manifest,<key>,<value> lines

Each row carries `row_number` (its position) and `row_sha256`, the SHA-256 of
the row's original cell values bound to this export's id; the manifest carries
the export id, the filters, the row count, `rows_sha256` (over the header and
every row hash, in order) and a hash of the manifest itself.
"""

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence

FORMAT = "election-reports-csv/1"

# Stable: new columns are only ever appended, never renamed, reordered or removed.
COLUMNS = [
    # The walking skeleton's columns, in their original order.
    "report_id",
    "election",
    "organization",
    "observer_code",
    "station_code",
    "region",
    "district",
    "category",
    "severity",
    "occurred_at_utc",
    "occurred_at_local",
    "received_at_utc",
    "latitude",
    "longitude",
    "state",
    "flags",
    "triage_status",
    "description",
    # Added with the triage console.
    "station_name",
    "phase",
    "accuracy_m",
    "geotag_source",
    "claimed_station_distance_m",
    "rejection_reasons",
    "flags_cleared",
    "risk_score",
    "assignee",
    "decided_by",
    "decided_at",
    "photo_count",
    "photo_sha256s",
    "client_uuid",
    "amends",
    "content_sha256",
    "chain_seq",
    "chain_sha256",
    "row_number",
    "row_sha256",
]
MANIFEST_MARK = "#manifest"
MANIFEST_KEYS = [
    "format",
    "export_id",
    "generated_at",
    "generated_by",
    "scope",
    "filters",
    "row_count",
    "chains",
    "rows_sha256",
]

# OWASP CSV injection: cells starting with these are run as formulas by spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_GUARDED = frozenset(FORMULA_TRIGGERS) | {"'"}


def neutralize(value: str) -> str:
    """Prefix a quote to any cell a spreadsheet would treat as a formula. Cells
    that already start with a quote get one too, so the change is reversible:
    strip exactly one leading quote to recover the original."""
    return "'" + value if value[:1] in _GUARDED else value


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def number(value, digits: int | None = None) -> str:
    """Floats as the shortest text that round-trips (the form content hashes use),
    or rounded to `digits` for derived measurements."""
    if value is None:
        return ""
    return repr(float(value)) if digits is None else f"{float(value):.{digits}f}"


def row_sha256(export_id: str, cells: Sequence[str]) -> str:
    """Hash of one row: its original (not neutralized) cells, every column but
    `row_sha256`, bound to the export so a row cannot be moved between files."""
    document = json.dumps([export_id, *cells], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class RowsDigest:
    """`rows_sha256`: SHA-256 over the header and each row hash, one per line."""

    def __init__(self, header: Sequence[str]):
        self._hash = hashlib.sha256()
        self._hash.update(json.dumps(list(header), separators=(",", ":")).encode("utf-8") + b"\n")

    def update(self, row_hash: str) -> None:
        self._hash.update(row_hash.encode("ascii") + b"\n")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def manifest_sha256(entries: Sequence[tuple[str, str]]) -> str:
    document = json.dumps([list(e) for e in entries], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def manifest_entries(values: dict) -> list[tuple[str, str]]:
    """The manifest as (key, text) pairs in a fixed order, closed by its own hash."""
    entries = []
    for key in MANIFEST_KEYS:
        value = values[key]
        entries.append((key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)))
    entries.append(("manifest_sha256", manifest_sha256(entries)))
    return entries


class _Echo:
    def write(self, value):
        return value


class CsvLines:
    """Formats rows as RFC 4180 lines (CRLF), neutralizing every cell."""

    def __init__(self):
        self._writer = csv.writer(_Echo(), lineterminator="\r\n")

    def line(self, cells: Iterable[str]) -> str:
        # neutralize(), inlined: this runs for every cell of every row.
        return self._writer.writerow(["'" + cell if cell[:1] in _GUARDED else cell for cell in cells])

    def manifest(self, entries: Sequence[tuple[str, str]]) -> str:
        return "".join(self._writer.writerow([MANIFEST_MARK, key, neutralize(text)]) for key, text in entries)
