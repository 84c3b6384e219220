"""The one CSV export behind every door (admin action, download URL, management
command): scoped to what the requester may see, narrowed by the shared report
filters, streamed in chain order with constant memory, closed by a manifest,
and recorded as an ExportRecord (who, when, filters, row count, rows hash).

Two formatters produce the same bytes. On PostgreSQL the database formats the
whole row (cells, neutralization, row number and row hash) in one `COPY … TO
STDOUT` inside a read-only REPEATABLE READ snapshot; Python only changes line
ends, feeds each row hash to the file digest and batches the bytes, about five
times faster than formatting in Python (docs/performance.md). Elsewhere
(SQLite, the embedded mode) rows come in chunks of plain tuples and
`reports.export` formats them. The integration tests compare the two byte for
byte on hostile content. Memory stays flat at any size either way: one chunk
of rows and per-election chain summaries (`bench/run.py` measures it).
"""

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from monitoring.localtime import format_local, format_utc
from monitoring.models import Observer

from .. import export
from ..filters import ReportFilters, apply_report_filters
from ..models import Attachment, ExportRecord, Flag, IncidentReport
from ..permissions import may_export, user_public_label
from ..selectors import reports_visible_to

DEFAULT_CHUNK_SIZE = 2000

# What one row needs, read as plain tuples (no model instances): ~5x faster at scale.
_FIELDS = (
    "pk",
    "election__code",
    "organization__name",
    "submitted_by__public_code",
    "station__code",
    "station__district__region__code",
    "station__district__code",
    "category__code",
    "severity",
    "occurred_at",
    "station__district__region__timezone",
    "received_at",
    "latitude",
    "longitude",
    "state",
    "triage_status",
    "description",
    "station__name",
    "category__phase",
    "accuracy_m",
    "location_source",
    "claimed_station_distance_m",
    "rejection_reasons",
    "risk_score",
    "assignee_id",
    "assignee__observer__public_code",
    "decided_by_id",
    "decided_by__observer__public_code",
    "decided_at",
    "client_uuid",
    "amends_id",
    "content_sha256",
    "chain_seq",
    "chain_sha256",
)
_I = {name: i for i, name in enumerate(_FIELDS)}


def _person(user_id, public_code) -> str:
    """A platform user in an export: public code, never a name (see user_public_label)."""
    if user_id is None:
        return ""
    return public_code or f"USER-{user_id}"


def _cells(r: tuple, flags: list[tuple[str, str]], photos: list[str]) -> list[str]:
    """One report's cells in COLUMNS order, without row_number and row_sha256."""
    occurred_at = r[_I["occurred_at"]]
    decided_at = r[_I["decided_at"]]
    return [
        str(r[_I["pk"]]),
        r[_I["election__code"]],
        r[_I["organization__name"]],
        r[_I["submitted_by__public_code"]],
        r[_I["station__code"]],
        r[_I["station__district__region__code"]],
        r[_I["station__district__code"]],
        r[_I["category__code"]],
        r[_I["severity"]],
        format_utc(occurred_at),
        format_local(occurred_at, r[_I["station__district__region__timezone"]]),
        format_utc(r[_I["received_at"]]),
        export.number(r[_I["latitude"]]),
        export.number(r[_I["longitude"]]),
        r[_I["state"]],
        ";".join(sorted(code for code, _state in flags)),
        r[_I["triage_status"]],
        r[_I["description"]],
        r[_I["station__name"]],
        r[_I["category__phase"]],
        export.number(r[_I["accuracy_m"]]),
        r[_I["location_source"]],
        export.number(r[_I["claimed_station_distance_m"]], 1),
        ";".join(reason.get("code", "") for reason in (r[_I["rejection_reasons"]] or [])),
        ";".join(sorted(code for code, state in flags if state == Flag.State.CLEARED)),
        str(r[_I["risk_score"]]),
        _person(r[_I["assignee_id"]], r[_I["assignee__observer__public_code"]]),
        _person(r[_I["decided_by_id"]], r[_I["decided_by__observer__public_code"]]),
        format_utc(decided_at) if decided_at else "",
        str(len(photos)),
        ";".join(photos),
        str(r[_I["client_uuid"]]),
        str(r[_I["amends_id"]] or ""),
        r[_I["content_sha256"]],
        "" if r[_I["chain_seq"]] is None else str(r[_I["chain_seq"]]),
        r[_I["chain_sha256"]],
    ]


def _batched(iterable, size):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _related(ids: list) -> tuple[dict, dict]:
    """The flags (code, state) and photo hashes of these reports."""
    flags, photos = defaultdict(list), defaultdict(list)
    for report_id, code, state in Flag.objects.filter(report_id__in=ids).values_list("report_id", "code", "state").order_by():
        flags[report_id].append((code, state))
    for report_id, sha256 in (
        Attachment.objects.filter(report_id__in=ids).order_by("report_id", "position").values_list("report_id", "sha256")
    ):
        photos[report_id].append(sha256)
    return flags, photos


def _chunks(qs, chunk_size: int) -> Iterator[tuple[list[tuple], dict, dict]]:
    """Rows in chunks, each with its reports' flags and photo hashes."""
    rows = qs.values_list(*_FIELDS).iterator(chunk_size=chunk_size)
    for batch in _batched(rows, chunk_size):
        flags, photos = _related([r[0] for r in batch])
        yield batch, flags, photos


def _python_rows(qs, export_id: str, digest, chains, chunk_size: int) -> Iterator[tuple[bytes, int]]:
    """Rows formatted by `reports.export`, in chunks of (bytes, row count).
    Used where COPY is not available (SQLite, where a transaction would also
    take the write lock)."""
    lines = export.CsvLines()
    row_number = 0
    for batch, flags, photos in _chunks(qs, chunk_size):
        out = []
        for r in batch:
            row_number += 1
            cells = _cells(r, flags.get(r[0], []), photos.get(r[0], []))
            cells.append(str(row_number))
            row_hash = export.row_sha256(export_id, cells)
            cells.append(row_hash)
            digest.update(row_hash)
            chains.add(r[_I["election__code"]], r[_I["chain_seq"]], r[_I["chain_sha256"]])
            out.append(lines.line(cells))
        yield "".join(out).encode("utf-8"), len(batch)


# --- PostgreSQL: the database formats the rows ---------------------------------------------------------

# `export.number`: Python's repr of a float. PostgreSQL prints the same shortest
# round-trip digits (with extra_float_digits = 1) but "76" where Python says "76.0".
_SQL_FLOAT = "(CASE WHEN ({x})::text ~ '^-?[0-9]+$' THEN ({x})::text || '.0' ELSE ({x})::text END)"
_SQL_PERSON = "CASE WHEN r.{field} IS NOT NULL THEN coalesce(nullif({alias}.public_code, ''), 'USER-' || r.{field}) END"
# TEXT cells are neutralized; PLAIN ones (digits, hex, times, codes the
# platform itself writes) cannot start a formula.
TEXT, PLAIN = "text", "plain"

# Each cell as text, exactly as `_cells` renders it (NULL where it renders "").
_SQL_CELLS = [
    ("r.id::text", PLAIN),
    ("e.code", TEXT),
    ("o.name", TEXT),
    ("ob.public_code", TEXT),
    ("s.code", TEXT),
    ("rg.code", TEXT),
    ("d.code", TEXT),
    ("c.code", TEXT),
    ("r.severity", PLAIN),
    ("reports_format_utc(r.occurred_at)", PLAIN),
    ("reports_format_local(r.occurred_at, rg.timezone)", PLAIN),
    ("reports_format_utc(r.received_at)", PLAIN),
    (_SQL_FLOAT.format(x="r.latitude"), TEXT),  # may start with "-"
    (_SQL_FLOAT.format(x="r.longitude"), TEXT),
    ("r.state", PLAIN),
    ("fl.codes", PLAIN),
    ("r.triage_status", PLAIN),
    ("r.description", TEXT),
    ("s.name", TEXT),
    ("c.phase", PLAIN),
    (_SQL_FLOAT.format(x="r.accuracy_m"), TEXT),
    ("r.location_source", PLAIN),
    # export.number(value, 1), i.e. f"{value:.1f}"
    ("to_char(r.claimed_station_distance_m, 'FM9999999999990.0')", TEXT),
    (
        "CASE WHEN r.rejection_reasons <> '[]'::jsonb THEN (SELECT string_agg(coalesce(j.reason ->> 'code', ''), ';' ORDER BY j.n)"
        " FROM jsonb_array_elements(r.rejection_reasons) WITH ORDINALITY AS j(reason, n)) END",
        TEXT,
    ),
    ("fl.cleared", PLAIN),
    ("r.risk_score::text", PLAIN),
    (_SQL_PERSON.format(field="assignee_id", alias="ao"), TEXT),
    (_SQL_PERSON.format(field="decided_by_id", alias="dbo"), TEXT),
    ("reports_format_utc(r.decided_at)", PLAIN),
    ("coalesce(ph.n, 0)::text", PLAIN),
    ("ph.hashes", PLAIN),
    ("r.client_uuid::text", PLAIN),
    ("r.amends_id::text", PLAIN),
    ("r.content_sha256", PLAIN),
    ("r.chain_seq::text", PLAIN),
    ("r.chain_sha256", PLAIN),
    ("r.row_number::text", PLAIN),
]
# export.neutralize's triggers (and the quote itself) as SQL literals, from
# reports.export so the two guards can never drift apart.
_SQL_ESCAPES = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\r": "\\r", "\n": "\\n"}
_SQL_GUARDED = ", ".join("E'" + "".join(_SQL_ESCAPES.get(ch, ch) for ch in c) + "'" for c in sorted(export._GUARDED))

# The reports in export order, numbered, before any cell is formatted (so the
# sort moves narrow rows); flags and photo hashes in one grouped pass each.
_FROM = """
FROM (
  SELECT r.*, row_number() OVER (ORDER BY r.election_id, r.chain_seq, r.received_at, r.id) AS row_number
  FROM reports_incidentreport r WHERE r.id IN ({ids})
) r
JOIN monitoring_election e ON e.id = r.election_id
JOIN monitoring_observerorganization o ON o.id = r.organization_id
JOIN monitoring_observer ob ON ob.id = r.submitted_by_id
JOIN monitoring_pollingstation s ON s.id = r.station_id
JOIN monitoring_district d ON d.id = s.district_id
JOIN monitoring_region rg ON rg.id = d.region_id
JOIN reports_incidentcategory c ON c.id = r.category_id
LEFT JOIN monitoring_observer ao ON ao.user_id = r.assignee_id
LEFT JOIN monitoring_observer dbo ON dbo.user_id = r.decided_by_id
LEFT JOIN (
  SELECT f.report_id,
         string_agg(f.code, ';' ORDER BY f.code COLLATE "C") AS codes,
         string_agg(f.code, ';' ORDER BY f.code COLLATE "C") FILTER (WHERE f.state = 'cleared') AS cleared
  FROM reports_flag f WHERE f.report_id IN ({ids}) GROUP BY f.report_id
) fl ON fl.report_id = r.id
LEFT JOIN (
  SELECT a.report_id, count(*) AS n, string_agg(a.sha256, ';' ORDER BY a.position, a.id) AS hashes
  FROM reports_attachment a WHERE a.report_id IN ({ids}) GROUP BY a.report_id
) ph ON ph.report_id = r.id
"""


def _copy_statement(ids_sql: str) -> str:
    """COPY of the export's rows: the cells (TEXT ones neutralized), then
    row_number and row_sha256 (export.row_sha256: SHA-256 of the JSON array
    [export id, every original cell]). Parameters: the export id, then the ids
    query's three times."""
    cells = list(enumerate(_SQL_CELLS))
    inner = ",\n".join(f"  {expression} AS cell{i}" for i, (expression, _kind) in cells)
    # array_to_json() writes the array compactly, escaping each string as
    # json.dumps(ensure_ascii=False) does, in one call.
    every = ", ".join(f"coalesce(cell{i}, '')" for i, _cell in cells)
    row_hash = f"encode(sha256(convert_to(array_to_json(ARRAY[%s::text, {every}])::text, 'UTF8')), 'hex')"
    # Empty text goes out as NULL, which COPY writes unquoted (it quotes "").
    out = ",\n".join(
        f"  nullif(CASE WHEN left(cell{i}, 1) IN ({_SQL_GUARDED}) THEN '''' || cell{i} ELSE cell{i} END, '')"
        if kind == TEXT
        else f"  nullif(cell{i}, '')"
        for i, (_e, kind) in cells
    )
    return (
        f"COPY (SELECT\n{out},\n  {row_hash}\nFROM (SELECT\n{inner}\n{_FROM.format(ids=ids_sql)}"
        "ORDER BY r.row_number) AS row) TO STDOUT WITH (FORMAT csv)"
    )


_CHAINS_SQL = """
SELECT e.code,
       (array_agg(r.chain_seq ORDER BY r.chain_seq, r.received_at, r.id))[1],
       (array_agg(r.chain_seq ORDER BY r.chain_seq DESC NULLS FIRST, r.received_at DESC, r.id DESC))[1],
       (array_agg(r.chain_sha256 ORDER BY r.chain_seq DESC NULLS FIRST, r.received_at DESC, r.id DESC))[1],
       count(*) = count(r.chain_seq) AND count(*) = max(r.chain_seq) - min(r.chain_seq) + 1
FROM reports_incidentreport r JOIN monitoring_election e ON e.id = r.election_id
WHERE r.id IN ({ids_sql})
GROUP BY e.code
"""


def _copy_rows(qs, export_id: str, digest, chains, chunk_size: int) -> Iterator[tuple[bytes, int]]:
    """Rows formatted by PostgreSQL, in chunks of (bytes, row count). One
    read-only REPEATABLE READ transaction, so the chain summary and the rows
    are one snapshot even while reports keep arriving."""
    try:
        ids_sql, ids_params = qs.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a scope or filter that can match nothing (qs.none(), pk__in=[])
        return
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        # Inside a caller's transaction (tests) its isolation rules, and the
        # SET LOCALs below last until it ends.
        if not outer:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # Shortest round-trip float digits, as Python's repr; and no JIT: it
        # compiles this wide query per process for longer than running it takes.
        cursor.execute("SET LOCAL extra_float_digits = 1")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")  # sorts the ids in memory up to a few million
        cursor.execute(_CHAINS_SQL.format(ids_sql=ids_sql), ids_params)
        for code, first, last, last_sha256, contiguous in cursor.fetchall():
            chains.elections[code] = {
                "election": code,
                "first_seq": first,
                "last_seq": last,
                "last_sha256": last_sha256,
                "contiguous": contiguous,
            }
        batch, count = [], 0
        with cursor.cursor.copy(_copy_statement(ids_sql), [export_id, *ids_params, *ids_params, *ids_params]) as copy:
            for block in copy:  # one row per block, ending "\n"
                line = bytes(block)
                digest.update(line[-65:-1].decode("ascii"))  # row_sha256, the last cell
                batch.append(line[:-1])
                count += 1
                if count == chunk_size:
                    batch.append(b"")
                    yield b"\r\n".join(batch), count
                    batch, count = [], 0
        if count:
            batch.append(b"")
            yield b"\r\n".join(batch), count


class _ChainSummary:
    """Per election in the file: which chain positions it holds and the last link,
    so an auditor can compare it with the platform's published chain head."""

    def __init__(self):
        self.elections: dict[str, dict] = {}

    def add(self, election: str, seq: int | None, sha256: str) -> None:
        entry = self.elections.get(election)
        if entry is None:
            self.elections[election] = {"election": election, "first_seq": seq, "last_seq": seq, "last_sha256": sha256, "contiguous": True}
            return
        entry["contiguous"] = entry["contiguous"] and seq is not None and entry["last_seq"] is not None and seq == entry["last_seq"] + 1
        entry["last_seq"], entry["last_sha256"] = seq, sha256

    def as_json(self) -> list[dict]:
        out = []
        for code in sorted(self.elections):
            entry = dict(self.elections[code])
            # Contiguous from the genesis link: the file holds the whole chain up to last_seq.
            entry["complete_from_start"] = entry.pop("contiguous") and entry["first_seq"] == 1
            out.append(entry)
        return out


def scope_label(user) -> str:
    if user is None or user.is_superuser:
        return "all organizations"
    observer = Observer.objects.select_related("organization").filter(user=user).first()
    if observer is None or observer.organization is None:
        return "all organizations"
    return f"organization: {observer.organization.name}"


def export_queryset(*, user, filters: ReportFilters, now: dt.datetime):
    """The reports an export holds, in chain order. `user` None (the management
    command run by an operator) means every report."""
    qs = IncidentReport.objects.all() if user is None else reports_visible_to(user)
    qs = apply_report_filters(qs, filters, user=user, now=now)
    return qs.order_by("election_id", "chain_seq", "received_at", "pk")


@dataclass
class ExportStream:
    """Iterate to get the file as UTF-8 byte chunks. The ExportRecord exists from
    the start; it is completed (finished_at, row_count, rows_sha256) only when
    the whole file, manifest included, has been produced."""

    record: ExportRecord
    user: object
    filters: ReportFilters
    bom: bool
    chunk_size: int
    progress: Callable[[int], None] | None
    generated_by: str
    scope: str

    @property
    def filename(self) -> str:
        label = "".join(c for c in self.filters.election if c.isascii() and (c.isalnum() or c in "-_")) or "all"
        return f"reports-{label}-{self.record.started_at:%Y%m%dT%H%M%SZ}-export{self.record.pk}.csv"

    _live: Iterator[bytes] | None = field(default=None, init=False, repr=False)

    def __iter__(self) -> Iterator[bytes]:
        self._live = self._generate()
        return self._live

    def close(self) -> None:
        """End a stream the client stopped reading (StreamingHttpResponse calls
        this before the request ends): the COPY is cancelled and the read-only
        transaction rolled back now, not whenever the generator is collected.
        The record stays unfinished, as the file was."""
        if self._live is not None:
            self._live.close()

    def _generate(self) -> Iterator[bytes]:
        export_id = str(self.record.pk)
        lines = export.CsvLines()
        digest = export.RowsDigest(export.COLUMNS)
        chains = _ChainSummary()
        row_number = 0
        yield (("\ufeff" if self.bom else "") + lines.line(export.COLUMNS)).encode("utf-8")

        qs = export_queryset(user=self.user, filters=self.filters, now=self.record.started_at)
        rows = _copy_rows if connection.vendor == "postgresql" else _python_rows
        for chunk, count in rows(qs, export_id, digest, chains, self.chunk_size):
            row_number += count
            yield chunk
            if self.progress is not None:
                self.progress(count)

        rows_sha256 = digest.hexdigest()
        entries = export.manifest_entries(
            {
                "format": export.FORMAT,
                "export_id": export_id,
                "generated_at": format_utc(self.record.started_at),
                "generated_by": self.generated_by,
                "scope": self.scope,
                "filters": self.filters.resolved(self.record.started_at).as_json(),
                "row_count": row_number,
                "chains": chains.as_json(),
                "rows_sha256": rows_sha256,
            }
        )
        yield lines.manifest(entries).encode("utf-8")
        ExportRecord.objects.filter(pk=self.record.pk).update(finished_at=timezone.now(), row_count=row_number, rows_sha256=rows_sha256)
        self.record.refresh_from_db()


def reports_export(
    *,
    user,
    filters: ReportFilters,
    source: str,
    bom: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ExportStream:
    """Start an export: check access, record it, and return the stream to iterate.

    `user` None is the operator at the command line (every report). Raises
    PermissionDenied for users who may not export (observers, outsiders)."""
    if user is not None and not may_export(user):
        raise PermissionDenied("Only coordinators and auditors can export reports.")
    now = timezone.now()
    scope = scope_label(user)
    generated_by = user_public_label(user) if user is not None else "manage.py export_reports"
    recorded = filters.resolved(now).as_json()
    recorded.update({"scope": scope, "bom": bom, "format": export.FORMAT})
    record = ExportRecord.objects.create(requested_by=user, source=source, filters=recorded, started_at=now)
    return ExportStream(
        record=record,
        user=user,
        filters=filters,
        bom=bom,
        chunk_size=chunk_size,
        progress=progress,
        generated_by=generated_by,
        scope=scope,
    )
