"""`/exports/results.csv` (format `election-results-csv/1`): one row per
counting protocol filed in an election that the requester may see, in chain
order, with the reports export's integrity (`reports.export`): each row's
content hash and chain link, a row hash bound to the export, the rows hash,
the chain summary and the manifest closed by its own hash, and an
ExportRecord of who took it. The columns are `checklists.results_columns`;
`tools/quick_count.py` recomputes the quick count from the file alone.
Protocols are few (one per station at most, a few times over), so Python
formats the rows."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from monitoring.localtime import format_utc
from monitoring.models import Election
from reports import export
from reports.models import ExportRecord
from reports.permissions import may_export, user_public_label
from reports.selectors import checklists_visible_to
from reports.services.exports import scope_label

from ..answers import protocol_figures
from ..formdoc import VOTES
from ..models import FiledAnswers, FormVersion, SampleStation
from ..results_columns import FIGURES, FORMAT, results_header
from ..selectors import counted_protocols, election_parties, form_document

CHUNK = 500


def _protocol_rows(*, user, election: Election):
    protocol_forms = [v.form_id for v in FormVersion.objects.filter(form__election=election) if form_document(v).is_protocol]
    visible = checklists_visible_to(user).filter(election=election)
    return (
        FiledAnswers.objects.filter(submission__in=visible, form_version__form_id__in=protocol_forms)
        .select_related(
            "form_version__form", "submission__organization", "submission__submitted_by", "submission__station__district__region"
        )
        .prefetch_related("submission__flags")
        .order_by("submission__chain_seq", "submission__received_at", "submission_id")
    )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@dataclass
class ResultsExportStream:
    record: ExportRecord
    user: object
    election: Election
    generated_by: str
    scope: str
    _live: Iterator[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def filename(self) -> str:
        label = "".join(c for c in self.election.code if c.isascii() and (c.isalnum() or c in "-_"))
        return f"results-{label}-{self.record.started_at:%Y%m%dT%H%M%SZ}-export{self.record.pk}.csv"

    def __iter__(self) -> Iterator[bytes]:
        self._live = self._generate()
        return self._live

    def close(self) -> None:
        if self._live is not None:
            self._live.close()

    def _sample(self) -> dict[int, tuple[str, int, int]]:
        return {
            s.station_id: (s.stratum.code, s.stratum.population, s.stratum.size)
            for s in SampleStation.objects.filter(sample__election=self.election).select_related("stratum")
        }

    def _generate(self) -> Iterator[bytes]:
        export_id = str(self.record.pk)
        parties = [p.code for p in election_parties(election=self.election)]
        header = results_header(parties)
        lines = export.CsvLines()
        digest = export.RowsDigest(export_id, header)
        chains = export.ChainSummary()
        yield lines.line(header).encode("utf-8")
        sample = self._sample()
        counted = {filed.pk for filed in counted_protocols(user=self.user, election=self.election).values()}
        row_number, out = 0, []
        for filed in _protocol_rows(user=self.user, election=self.election).iterator(chunk_size=CHUNK):
            row_number += 1
            cells = self._cells(filed, parties, sample, counted, row_number)
            row_hash = export.row_sha256(export_id, cells)
            digest.update(row_hash)
            chains.add(self.election.code, filed.submission.chain_seq, filed.submission.chain_sha256)
            out.append(lines.line([*cells, row_hash]))
            if len(out) >= CHUNK:
                yield "".join(out).encode("utf-8")
                out = []
        yield "".join(out).encode("utf-8")
        rows_sha256 = digest.hexdigest()
        entries = export.manifest_entries(
            {
                "format": FORMAT,
                "export_id": export_id,
                "generated_at": format_utc(self.record.started_at),
                "generated_by": self.generated_by,
                "scope": self.scope,
                "filters": {"election": self.election.code},
                "row_count": row_number,
                "chains": chains.as_json(),
                "rows_sha256": rows_sha256,
            }
        )
        yield lines.manifest(entries).encode("utf-8")
        *labelled, (_key, manifest_sha256) = entries
        ExportRecord.objects.filter(pk=self.record.pk).update(
            finished_at=timezone.now(),
            row_count=row_number,
            rows_sha256=rows_sha256,
            manifest=[list(entry) for entry in labelled],
            manifest_sha256=manifest_sha256,
        )

    def _cells(self, filed: FiledAnswers, parties, sample, counted, row_number) -> list[str]:
        s = filed.submission
        figures = protocol_figures(form_document(filed.form_version), filed.answers)
        stratum, stations, sampled = sample.get(s.station_id, ("", None, None))
        flags = ";".join(sorted(flag.code for flag in s.flags.all()))
        return [
            str(s.pk),
            self.election.code,
            s.organization.name,
            s.submitted_by.public_code,
            filed.form_version.form.code,
            str(filed.form_version.number),
            s.station.code,
            s.station.district.region.code,
            s.station.district.code,
            format_utc(s.received_at),
            "1" if s.station_id in sample else "0",
            stratum,
            _cell(stations),
            _cell(sampled),
            "1" if filed.pk in counted else "0",
            *(_cell(figures.get(column.name)) for column in FIGURES),
            *(_cell(figures.get(f"{VOTES}:{p}")) for p in parties),
            flags,
            s.content_sha256,
            _cell(s.chain_seq),
            s.chain_sha256,
            str(row_number),
        ]


def results_export(*, user, election: Election, source: str) -> ResultsExportStream:
    """Start a results export: check access, record it, return the stream.
    Raises PermissionDenied for users who may not export (observers, outsiders)."""
    if not may_export(user):
        raise PermissionDenied("Only coordinators and auditors can export results.")
    now = timezone.now()
    scope = scope_label(user)
    record = ExportRecord.objects.create(
        requested_by=user, source=source, filters={"election": election.code, "scope": scope, "format": FORMAT}, started_at=now
    )
    return ResultsExportStream(record=record, user=user, election=election, generated_by=user_public_label(user), scope=scope)
