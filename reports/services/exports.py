"""The one CSV export behind every door (admin action, download URL, management
command): scoped to what the requester may see, narrowed by the shared report
filters, streamed in chain order with constant memory, closed by a manifest,
and recorded as an ExportRecord (who, when, filters, row count, rows hash, and
the whole manifest with its hash, which verification compares with a file's).

Two formatters write the same bytes, both from the column table
(`reports.export_columns`): on PostgreSQL the database formats the rows in one
COPY (`exports_postgres`); elsewhere (SQLite, the embedded mode) Python does,
a chunk of plain tuples at a time (`exports_python`). The integration tests
compare the two byte for byte on hostile content. Memory stays flat at any
size either way: one chunk of rows and per-chain summaries
(`bench/run.py` measures it).
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from monitoring.localtime import format_utc
from monitoring.models import Observer

from .. import export, signing
from ..filters import ReportFilters, apply_report_filters
from ..models import ExportRecord, IncidentReport
from ..permissions import may_export, user_public_label
from ..selectors import reports_visible_to
from .checkpoints import checkpoints_for_export
from .exports_postgres import copy_rows
from .exports_python import python_rows

DEFAULT_CHUNK_SIZE = 2000


def scope_label(user) -> str:
    if user is None or user.is_superuser:
        return "all organizations"
    observer = Observer.objects.select_related("organization").filter(user=user).first()
    if observer is None or observer.organization is None:
        return "all organizations"
    return f"organization: {observer.organization.name}"


def export_queryset(*, user, filters: ReportFilters, now: dt.datetime):
    """The incident reports an export holds, in chain order (other kinds of
    submission are links of the same chains but not rows of this file). `user`
    None (the management command run by an operator) means every report."""
    qs = IncidentReport.objects.all() if user is None else reports_visible_to(user)
    qs = apply_report_filters(qs, filters, user=user, now=now)
    return qs.order_by("election_id", "organization_id", "chain_seq", "received_at", "pk")


@dataclass
class ExportStream:
    """Iterate to get the file as UTF-8 byte chunks. The ExportRecord exists from
    the start; it is completed (finished_at, row_count, rows_sha256, manifest,
    manifest_sha256) only when the whole file, manifest included, has been
    produced."""

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
        digest = export.RowsDigest(export_id, export.COLUMNS)
        chains = export.ChainSummary()
        row_number = 0
        yield (("\ufeff" if self.bom else "") + lines.line(export.COLUMNS)).encode("utf-8")

        qs = export_queryset(user=self.user, filters=self.filters, now=self.record.started_at)
        rows = copy_rows if connection.vendor == "postgresql" else python_rows
        for chunk, count in rows(qs, export_id, digest, chains, self.chunk_size):
            row_number += count
            yield chunk
            if self.progress is not None:
                self.progress(count)

        manifest = export_manifest(
            self.record,
            file_format=export.FORMAT,
            generated_by=self.generated_by,
            scope=self.scope,
            filters=self.filters.resolved(self.record.started_at).as_json(),
            row_count=row_number,
            chains=chains,
            rows_sha256=digest.hexdigest(),
        )
        yield lines.manifest(manifest).encode("utf-8")
        export_record_finish(self.record, manifest, row_count=row_number)
        self.record.refresh_from_db()


def export_manifest(
    record: ExportRecord, *, file_format: str, generated_by: str, scope: str, filters: dict, row_count: int, chains, rows_sha256: str
) -> list[tuple[str, str]]:
    """The manifest that closes an export file of any format: its labels, the
    rows hash, the chains it holds with the signed checkpoints covering them,
    and last its own hash (`reports.export.manifest_entries`)."""
    chain_list = chains.as_json()
    return export.manifest_entries(
        {
            "format": file_format,
            "export_id": str(record.pk),
            "generated_at": format_utc(record.started_at),
            "generated_by": generated_by,
            "scope": scope,
            "filters": filters,
            "row_count": row_count,
            "chains": chain_list,
            "rows_sha256": rows_sha256,
            "public_key": signing.public_key_pem(),
            "checkpoints": checkpoints_for_export(chain_list),
        }
    )


def export_record_finish(record: ExportRecord, manifest: list[tuple[str, str]], *, row_count: int) -> None:
    """Complete the export's record once the whole file has been produced. The
    whole manifest is kept, not only the rows hash: its labels (filters, scope,
    requester, time) are what a relabelled file changes."""
    labels = dict(manifest)
    *labelled, (_key, manifest_sha256) = manifest
    ExportRecord.objects.filter(pk=record.pk).update(
        finished_at=timezone.now(),
        row_count=row_count,
        rows_sha256=labels["rows_sha256"],
        manifest=[list(entry) for entry in labelled],
        manifest_sha256=manifest_sha256,
    )
    record.refresh_from_db()


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
