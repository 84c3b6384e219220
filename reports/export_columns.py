"""The export's columns, in one table: for each, its name, where its value
comes from, how Python writes the cell, how PostgreSQL writes the same cell,
and whether the cell may start a spreadsheet formula. Everything else is
derived from it: the header (`reports.export.COLUMNS`), the ORM paths the
Python formatter reads (`ORM_PATHS`), its row of cells (`python_cells`) and
the COPY's SELECT list (`reports.services.exports_postgres`).

`tools/verify_export.py` keeps its own copy of the names, since auditors run
it without the platform; `tests/unit/reports/exports/test_export_columns.py` keeps the
two in step. The columns are stable (docs/export.md): none is renamed, moved
or removed without a new format.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from monitoring.localtime import format_local, format_utc
from monitoring.models import public_label

from .models import Flag

# Sources that are not paths into the report's row: the Python formatter gets
# them next to the row (flags and photos are read per chunk, one grouped query
# each; the row number is the row's position in the file).
FLAGS = "@flags"  # the report's flags as (code, state) pairs
PHOTOS = "@photos"  # its photos' SHA-256, in upload order
ROW_NUMBER = "@row_number"


@dataclass(frozen=True)
class Column:
    """`python` gets the values of `source`, in order, and returns the cell's
    text. `sql` is the same cell as text (NULL where Python writes ""), over the
    aliases of `exports_postgres.FROM_SQL`. `guarded`: the value may start with
    a formula trigger, so the SQL formatter must test it; the others are
    written by the platform itself (digits, hex, times, enum values) and cannot.
    The Python formatter tests every cell regardless."""

    name: str
    source: tuple[str, ...]
    python: Callable[..., str] | None
    sql: str | None
    guarded: bool = False


def verbatim(text: str) -> str:
    return text


def number(value, digits: int | None = None) -> str:
    """Floats as the shortest text that round-trips (the form content hashes use),
    or rounded to `digits` for derived measurements."""
    if value is None:
        return ""
    return repr(float(value)) if digits is None else f"{float(value):.{digits}f}"


def _tenths(value) -> str:
    return number(value, 1)


def _utc_or_empty(moment) -> str:
    return format_utc(moment) if moment else ""


def _text_or_empty(value) -> str:
    return "" if value is None else str(value)


def _flag_codes(flags) -> str:
    return ";".join(sorted(code for code, _state in flags))


def _cleared_flag_codes(flags) -> str:
    return ";".join(sorted(code for code, state in flags if state == Flag.State.CLEARED))


def _reason_codes(reasons) -> str:
    return ";".join(reason.get("code", "") for reason in (reasons or []))


def _photo_count(photos) -> str:
    return str(len(photos))


def _joined(items) -> str:
    return ";".join(items)


# `number`: Python's repr of a float. PostgreSQL prints the same shortest
# round-trip digits (with extra_float_digits = 1, which the COPY sets) but "76"
# where Python says "76.0".
def _sql_float(x: str) -> str:
    return f"(CASE WHEN ({x})::text ~ '^-?[0-9]+$' THEN ({x})::text || '.0' ELSE ({x})::text END)"


def _sql_person(field: str, alias: str) -> str:
    return f"CASE WHEN r.{field} IS NOT NULL THEN coalesce(nullif({alias}.public_code, ''), 'USER-' || r.{field}) END"


_SQL_REASON_CODES = (
    "CASE WHEN r.rejection_reasons <> '[]'::jsonb THEN (SELECT string_agg(coalesce(j.reason ->> 'code', ''), ';' ORDER BY j.n)"
    " FROM jsonb_array_elements(r.rejection_reasons) WITH ORDINALITY AS j(reason, n)) END"
)

TABLE: tuple[Column, ...] = (
    # The walking skeleton's columns, in their original order.
    Column("report_id", ("pk",), str, "r.id::text"),
    Column("election", ("election__code",), verbatim, "e.code", guarded=True),
    Column("organization", ("organization__name",), verbatim, "o.name", guarded=True),
    Column("observer_code", ("submitted_by__public_code",), verbatim, "ob.public_code", guarded=True),
    Column("station_code", ("station__code",), verbatim, "s.code", guarded=True),
    Column("region", ("station__district__region__code",), verbatim, "rg.code", guarded=True),
    Column("district", ("station__district__code",), verbatim, "d.code", guarded=True),
    Column("category", ("category__code",), verbatim, "c.code", guarded=True),
    Column("severity", ("severity",), verbatim, "r.severity"),
    Column("occurred_at_utc", ("occurred_at",), format_utc, "reports_format_utc(r.occurred_at)"),
    Column(
        "occurred_at_local",
        ("occurred_at", "station__district__region__timezone"),
        format_local,
        "reports_format_local(r.occurred_at, rg.timezone)",
    ),
    Column("received_at_utc", ("received_at",), format_utc, "reports_format_utc(r.received_at)"),
    Column("latitude", ("latitude",), number, _sql_float("r.latitude"), guarded=True),  # may start with "-"
    Column("longitude", ("longitude",), number, _sql_float("r.longitude"), guarded=True),
    Column("state", ("state",), verbatim, "r.state"),
    Column("flags", (FLAGS,), _flag_codes, "fl.codes"),
    Column("triage_status", ("triage_status",), verbatim, "r.triage_status"),
    Column("description", ("description",), verbatim, "r.description", guarded=True),
    # Added with the triage console.
    Column("station_name", ("station__name",), verbatim, "s.name", guarded=True),
    Column("phase", ("category__phase",), verbatim, "c.phase"),
    Column("accuracy_m", ("accuracy_m",), number, _sql_float("r.accuracy_m"), guarded=True),
    Column("geotag_source", ("location_source",), verbatim, "r.location_source"),
    # number(value, 1), i.e. f"{value:.1f}"
    Column(
        "claimed_station_distance_m",
        ("claimed_station_distance_m",),
        _tenths,
        "to_char(r.claimed_station_distance_m, 'FM9999999999990.0')",
        guarded=True,
    ),
    Column("rejection_reasons", ("rejection_reasons",), _reason_codes, _SQL_REASON_CODES, guarded=True),
    Column("flags_cleared", (FLAGS,), _cleared_flag_codes, "fl.cleared"),
    Column("risk_score", ("risk_score",), str, "r.risk_score::text"),
    Column("assignee", ("assignee_id", "assignee__observer__public_code"), public_label, _sql_person("assignee_id", "ao"), guarded=True),
    Column("decided_by", ("decided_by_id", "decided_by__observer__public_code"), public_label, _sql_person("decided_by_id", "dbo"), guarded=True),
    Column("decided_at", ("decided_at",), _utc_or_empty, "reports_format_utc(r.decided_at)"),
    Column("photo_count", (PHOTOS,), _photo_count, "coalesce(ph.n, 0)::text"),
    Column("photo_sha256s", (PHOTOS,), _joined, "ph.hashes"),
    Column("client_uuid", ("client_uuid",), str, "r.client_uuid::text"),
    Column("amends", ("amends_id",), _text_or_empty, "r.amends_id::text"),
    Column("content_sha256", ("content_sha256",), verbatim, "r.content_sha256"),
    Column("chain_seq", ("chain_seq",), _text_or_empty, "r.chain_seq::text"),
    Column("chain_sha256", ("chain_sha256",), verbatim, "r.chain_sha256"),
    # Format /4: the door the report came in by (api, web, sms; empty for
    # reports received before doors were recorded). A receipt fact, not
    # submitted content: row_sha256 covers it, content_sha256 does not.
    Column("source", ("source",), verbatim, "r.source"),
    # Every row ends with these two: its position in the file, and the hash of
    # every cell before it (reports.export.row_sha256), which both formatters
    # compute and the verifier and the COPY reader take from the row's end.
    Column("row_number", (ROW_NUMBER,), str, "r.row_number::text"),
    Column("row_sha256", (), None, None),
)

NAMES = [column.name for column in TABLE]
GUARDED = frozenset(column.name for column in TABLE if column.guarded)
HASHED = TABLE[:-1]  # the cells row_sha256 covers

# The Python formatter's values: a row of ORM_PATHS, then these (python_cells).
_EXTRA_SOURCES = (FLAGS, PHOTOS, ROW_NUMBER)
# What the Python formatter reads from the database, as plain tuples (no
# model instances, which cost several times more at scale): each path once.
ORM_PATHS = tuple(dict.fromkeys(path for column in HASHED for path in column.source if path not in _EXTRA_SOURCES))
_SLOT = {source: i for i, source in enumerate(ORM_PATHS + _EXTRA_SOURCES)}


def _reader(column: Column) -> Callable[[tuple], str]:
    """The column's cell from a row of values, as one call."""
    write = column.python
    if len(column.source) == 1:
        slot = _SLOT[column.source[0]]
        return lambda values: write(values[slot])
    get = itemgetter(*(_SLOT[source] for source in column.source))
    return lambda values: write(*get(values))


_READERS = [_reader(column) for column in HASHED]


def python_cells(row: tuple, *, flags: list[tuple[str, str]], photos: list[str], row_number: int) -> list[str]:
    """The cells row_sha256 covers, in column order, from a row of `ORM_PATHS`
    values and the report's flags, photo hashes and position in the file."""
    values = (*row, flags, photos, row_number)  # in _SLOT's order
    return [read(values) for read in _READERS]
