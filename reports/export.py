"""The CSV export format: formula-injection neutralization, row hashes, the
chain summary and the closing manifest. Pure functions; what each column holds
is `reports.export_columns`, and the database side (what rows, in which order,
who asked) is `reports.services.exports`. docs/export.md is the reader's
version of this module, and `tools/verify_export.py` re-implements the checks
with the standard library only (tests keep the two in step).

File layout (UTF-8, RFC 4180, CRLF line ends, optional BOM):

    header line (COLUMNS)
    one line per report, in chain order (election, organization, chain_seq)
    #manifest,<key>,<value> lines

Each row carries `row_number` (its position) and `row_sha256`, the SHA-256 of
the row's original cell values bound to this export's id; the manifest carries
the export id, the filters, the row count, `rows_sha256` (over the export id,
the header and every row hash, in order) and a hash of the manifest itself,
which the platform keeps with the export's record.
"""

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .export_columns import NAMES

# /2: `rows_sha256` starts with the export id, so no two exports share it (an
# empty /1 export had the same rows hash as every other empty one).
# /3: one chain per (election, organization, kind): `chains` names each
# chain's organization and kind.
# /4: the `source` column (the door a report came in by: api, web, sms),
# before `row_number`; the rows, manifest and hashes are built as in /3.
FORMAT = "election-reports-csv/4"

# The header, from the column table (stable: docs/export.md).
COLUMNS = NAMES
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
    # /3: the evidence key's public half (PEM) and the signed checkpoints
    # covering the file's rows (one per chain, at the file's last link).
    "public_key",
    "checkpoints",
]

# OWASP CSV injection: cells starting with these are run as formulas by spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# The first characters that get the guard quote: the triggers, and the quote
# itself so that the guard can be undone exactly.
GUARD_STARTS = frozenset(FORMULA_TRIGGERS) | {"'"}


def neutralize(value: str) -> str:
    """Prefix a quote to any cell a spreadsheet would treat as a formula. Cells
    that already start with a quote get one too, so the change is reversible:
    strip exactly one leading quote to recover the original."""
    return "'" + value if value[:1] in GUARD_STARTS else value


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def row_sha256(export_id: str, cells: Sequence[str]) -> str:
    """Hash of one row: its original (not neutralized) cells, every column but
    `row_sha256`, bound to the export so a row cannot be moved between files."""
    document = json.dumps([export_id, *cells], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class RowsDigest:
    """`rows_sha256`: SHA-256 over the export id with the header, then each row
    hash, one per line. The id makes the hash name one export, even one without
    rows, so a file cannot borrow another export's recorded hash."""

    def __init__(self, export_id: str, header: Sequence[str]):
        self._hash = hashlib.sha256()
        self._hash.update(json.dumps([export_id, *header], ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

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


class ChainSummary:
    """The manifest's `chains`: per chain in the file (the incident reports one
    organization filed for one election), which chain positions it holds and
    the last link, so an auditor can compare it with a signed checkpoint or
    the platform's chain head. Fed row by row (`add`) or, where the database
    summarizes the rows, per chain (`put`)."""

    def __init__(self):
        self._chains: dict[tuple[str, str], dict] = {}

    def add(self, chain: "ChainKey", seq: int | None, sha256: str) -> None:
        entry = self._chains.get((chain.election, chain.organization))
        if entry is None:
            self.put(chain, first_seq=seq, last_seq=seq, last_sha256=sha256, contiguous=True)
            return
        entry["contiguous"] = entry["contiguous"] and seq is not None and entry["last_seq"] is not None and seq == entry["last_seq"] + 1
        entry["last_seq"], entry["last_sha256"] = seq, sha256

    def put(self, chain: "ChainKey", *, first_seq: int | None, last_seq: int | None, last_sha256: str, contiguous: bool) -> None:
        self._chains[(chain.election, chain.organization)] = {
            "election": chain.election,
            "organization": chain.organization,
            "organization_id": chain.organization_id,
            "kind": chain.kind,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "last_sha256": last_sha256,
            "contiguous": contiguous,
        }

    def as_json(self) -> list[dict]:
        out = []
        for key in sorted(self._chains):
            entry = dict(self._chains[key])
            # Contiguous from the genesis link: the file holds the whole chain up to last_seq.
            entry["complete_from_start"] = entry.pop("contiguous") and entry["first_seq"] == 1
            out.append(entry)
        return out


@dataclass(frozen=True)
class ChainKey:
    """Which chain a row is a link of: its election (code), its organization
    (name as in the rows, and id as checkpoints name it) and its kind."""

    election: str
    organization: str
    organization_id: int
    kind: str


class _Echo:
    def write(self, value):
        return value


class CsvLines:
    """Formats rows as RFC 4180 lines (CRLF), neutralizing every cell."""

    def __init__(self):
        self._writer = csv.writer(_Echo(), lineterminator="\r\n")

    def line(self, cells: Iterable[str]) -> str:
        # neutralize(), inlined: this runs for every cell of every row.
        return self._writer.writerow(["'" + cell if cell[:1] in GUARD_STARTS else cell for cell in cells])

    def manifest(self, entries: Sequence[tuple[str, str]]) -> str:
        return "".join(self._writer.writerow([MANIFEST_MARK, key, neutralize(text)]) for key, text in entries)
