"""The one CSV export behind every door (admin action, download URL, management
command): scoped to what the requester may see, narrowed by the shared report
filters, streamed in chain order with constant memory, closed by a manifest,
and recorded as an ExportRecord (who, when, filters, row count, rows hash).

Memory stays flat at any size: rows come from a server-side cursor on
PostgreSQL (a chunked fetch elsewhere) as plain tuples, flags and photo hashes
are fetched per chunk, and only per-election chain summaries are kept.
`bench/export_memory.py` measures it.
"""

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from monitoring.localtime import format_local, format_utc
from monitoring.models import Observer

from .. import export
from ..filters import ReportFilters, apply_report_filters
from ..models import Attachment, ExportRecord, Flag, IncidentReport
from ..selectors import can_export, reports_visible_to
from .triage import user_public_label

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
    if connection.vendor == "postgresql":
        # One array parameter instead of an IN list of 2,000 placeholders.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT report_id, code, state FROM {Flag._meta.db_table} WHERE report_id = ANY(%s)", [ids])
            for report_id, code, state in cursor.fetchall():
                flags[report_id].append((code, state))
            cursor.execute(
                f"SELECT report_id, sha256 FROM {Attachment._meta.db_table} WHERE report_id = ANY(%s) ORDER BY report_id, position", [ids]
            )
            for report_id, sha256 in cursor.fetchall():
                photos[report_id].append(sha256)
        return flags, photos
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

    def __iter__(self) -> Iterator[bytes]:
        export_id = str(self.record.pk)
        lines = export.CsvLines()
        digest = export.RowsDigest(export.COLUMNS)
        chains = _ChainSummary()
        row_number = 0
        yield (("\ufeff" if self.bom else "") + lines.line(export.COLUMNS)).encode("utf-8")

        qs = export_queryset(user=self.user, filters=self.filters, now=self.record.started_at)
        # On PostgreSQL, a transaction keeps the cursor server-side without WITH
        # HOLD (which would materialize the whole result before the first row)
        # and gives the flag and photo reads the same snapshot. SQLite runs
        # without one: its transactions take the write lock.
        reading = transaction.atomic() if connection.vendor == "postgresql" else _no_transaction()
        with reading:
            for batch, flags, photos in _chunks(qs, self.chunk_size):
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
                yield "".join(out).encode("utf-8")
                if self.progress is not None:
                    self.progress(len(batch))

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


class _no_transaction:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


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
    if user is not None and not can_export(user):
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
