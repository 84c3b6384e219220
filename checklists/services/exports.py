"""The auditors' checklist exports, with the reports export's integrity:

- `/exports/results.csv` (format `election-results-csv/2`): one row per
  counting protocol filed in an election that the requester may see;
- `/exports/checklists.csv` (format `election-checklists-csv/2`): one row per
  checklist of one form filed, one column per question of the form (every
  version's questions, in the order of the latest).

Both in chain order, with the reports export's integrity (`reports.export`): each row's
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
from reports.services.exports import export_manifest, export_record_finish, scope_label

from ..answers import protocol_figures
from ..formdoc import VOTES
from ..models import FiledAnswers, Form, FormVersion, SampleStation
from ..results_columns import FIGURES, FORMAT, IDENTITY, INTEGRITY, results_header
from ..selectors import counted_protocols, election_parties, form_document

CHUNK = 500
# /2: the identity columns end with `source` (checklists.results_columns).
CHECKLISTS_FORMAT = "election-checklists-csv/2"
QUESTION_PREFIX = "q_"
# The checklists export shares the results export's identity and integrity columns.
IDENTITY_NAMES = [c.name for c in IDENTITY]
INTEGRITY_NAMES = [c.name for c in INTEGRITY]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@dataclass
class _ExportStream:
    """Iterate to get the file as UTF-8 byte chunks; the ExportRecord is
    completed when the whole file, manifest included, has been produced. A
    kind of file says its header, its rows' cells and its filters."""

    record: ExportRecord
    user: object
    election: Election
    generated_by: str
    scope: str
    _live: Iterator[bytes] | None = field(default=None, init=False, repr=False)

    name = ""
    format = ""

    @property
    def filename(self) -> str:
        label = "".join(c for c in self.election.code if c.isascii() and (c.isalnum() or c in "-_"))
        return f"{self.name}-{label}-{self.record.started_at:%Y%m%dT%H%M%SZ}-export{self.record.pk}.csv"

    def __iter__(self) -> Iterator[bytes]:
        self._live = self._generate()
        return self._live

    def close(self) -> None:
        if self._live is not None:
            self._live.close()

    def _header(self) -> list[str]:
        raise NotImplementedError

    def _filed(self):
        """The FiledAnswers rows of the file, in chain order."""
        raise NotImplementedError

    def _cells(self, filed: FiledAnswers, row_number: int) -> list[str]:
        raise NotImplementedError

    def _filters(self) -> dict:
        return {"election": self.election.code}

    def _generate(self) -> Iterator[bytes]:
        export_id = str(self.record.pk)
        header = self._header()
        lines = export.CsvLines()
        digest = export.RowsDigest(export_id, header)
        chains = export.ChainSummary()
        yield lines.line(header).encode("utf-8")
        row_number, out = 0, []
        for filed in self._filed().iterator(chunk_size=CHUNK):
            row_number += 1
            cells = self._cells(filed, row_number)
            row_hash = export.row_sha256(export_id, cells)
            digest.update(row_hash)
            s = filed.submission
            chains.add(export.ChainKey(self.election.code, s.organization.name, s.organization_id, s.kind), s.chain_seq, s.chain_sha256)
            out.append(lines.line([*cells, row_hash]))
            if len(out) >= CHUNK:
                yield "".join(out).encode("utf-8")
                out = []
        yield "".join(out).encode("utf-8")
        manifest = export_manifest(
            self.record,
            file_format=self.format,
            generated_by=self.generated_by,
            scope=self.scope,
            filters=self._filters(),
            row_count=row_number,
            chains=chains,
            rows_sha256=digest.hexdigest(),
        )
        yield lines.manifest(manifest).encode("utf-8")
        export_record_finish(self.record, manifest, row_count=row_number)


def _identity(filed: FiledAnswers, election: Election) -> list[str]:
    s = filed.submission
    return [
        str(s.pk),
        election.code,
        s.organization.name,
        s.submitted_by.public_code,
        filed.form_version.form.code,
        str(filed.form_version.number),
        s.station.code,
        s.station.district.region.code,
        s.station.district.code,
        format_utc(s.received_at),
        s.source,
    ]


def _integrity(filed: FiledAnswers, row_number: int) -> list[str]:
    s = filed.submission
    return [";".join(sorted(flag.code for flag in s.flags.all())), s.content_sha256, _cell(s.chain_seq), s.chain_sha256, str(row_number)]


def _visible_filed(*, user, election: Election, form_ids):
    visible = checklists_visible_to(user).filter(election=election)
    return (
        FiledAnswers.objects.filter(submission__in=visible, form_version__form_id__in=form_ids)
        .select_related(
            "form_version__form", "submission__organization", "submission__submitted_by", "submission__station__district__region"
        )
        .prefetch_related("submission__flags")
        .order_by("submission__chain_seq", "submission__received_at", "submission_id")
    )


@dataclass
class ResultsExportStream(_ExportStream):
    name = "results"
    format = FORMAT
    _parties: list[str] = field(default_factory=list, init=False, repr=False)
    _sampled: dict = field(default_factory=dict, init=False, repr=False)
    _counted: set = field(default_factory=set, init=False, repr=False)

    def _header(self) -> list[str]:
        self._parties = [p.code for p in election_parties(election=self.election)]
        self._sampled = self._sample()
        self._counted = {protocol.submission_id for protocol in counted_protocols(user=self.user, election=self.election).values()}
        return results_header(self._parties)

    def _filed(self):
        protocol_forms = [v.form_id for v in FormVersion.objects.filter(form__election=self.election) if form_document(v).is_protocol]
        return _visible_filed(user=self.user, election=self.election, form_ids=protocol_forms)

    def _sample(self) -> dict[int, tuple[str, int, int]]:
        return {
            s.station_id: (s.stratum.code, s.stratum.population, s.stratum.size)
            for s in SampleStation.objects.filter(sample__election=self.election).select_related("stratum")
        }

    def _cells(self, filed: FiledAnswers, row_number: int) -> list[str]:
        s = filed.submission
        figures = protocol_figures(form_document(filed.form_version), filed.answers)
        stratum, stations, sampled = self._sampled.get(s.station_id, ("", None, None))
        return [
            *_identity(filed, self.election),
            "1" if s.station_id in self._sampled else "0",
            stratum,
            _cell(stations),
            _cell(sampled),
            "1" if filed.pk in self._counted else "0",
            *(_cell(figures.get(column.name)) for column in FIGURES),
            *(_cell(figures.get(f"{VOTES}:{p}")) for p in self._parties),
            *_integrity(filed, row_number),
        ]


@dataclass
class ChecklistsExportStream(_ExportStream):
    name = "checklists"
    format = CHECKLISTS_FORMAT
    form: Form | None = None
    _questions: list[str] = field(default_factory=list, init=False, repr=False)

    def _header(self) -> list[str]:
        questions: list[str] = []
        for version in FormVersion.objects.filter(form=self.form).order_by("-number"):
            questions += [code for code in form_document(version).questions if code not in questions]
        self._questions = questions
        return [*IDENTITY_NAMES, *(QUESTION_PREFIX + code for code in questions), *INTEGRITY_NAMES]

    def _filed(self):
        return _visible_filed(user=self.user, election=self.election, form_ids=[self.form.pk])

    def _filters(self) -> dict:
        return {"election": self.election.code, "form": self.form.code}

    def _cells(self, filed: FiledAnswers, row_number: int) -> list[str]:
        return [
            *_identity(filed, self.election),
            *(_cell(filed.answers.get(code)) for code in self._questions),
            *_integrity(filed, row_number),
        ]


def _start(stream_class, *, user, election: Election, source: str, **extra):
    if not may_export(user):
        raise PermissionDenied("Only coordinators and auditors can export checklists.")
    now = timezone.now()
    scope = scope_label(user)
    filters = {"election": election.code, **{k: v.code for k, v in extra.items()}, "scope": scope, "format": stream_class.format}
    record = ExportRecord.objects.create(requested_by=user, source=source, filters=filters, started_at=now)
    return stream_class(record=record, user=user, election=election, generated_by=user_public_label(user), scope=scope, **extra)


def checklists_export(*, user, election: Election, form: Form, source: str) -> ChecklistsExportStream:
    """Start a checklists export of one form: check access, record it, return
    the stream. Raises PermissionDenied for users who may not export."""
    return _start(ChecklistsExportStream, user=user, election=election, source=source, form=form)


def results_export(*, user, election: Election, source: str) -> ResultsExportStream:
    """Start a results export: check access, record it, return the stream.
    Raises PermissionDenied for users who may not export (observers, outsiders)."""
    return _start(ResultsExportStream, user=user, election=election, source=source)
