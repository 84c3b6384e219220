"""CSV export of reports for auditors: one implementation behind every door
(download URL, admin action, management command).

Streams rows from a server-side cursor (`iterator`), so memory stays flat at
any size. Observers appear only by their pseudonymous public code. Every text
cell that a spreadsheet could run as a formula is neutralized (see
`neutralize`), reversibly, so the hashed evidence can still be checked.
"""

import csv
from collections.abc import Iterable, Iterator

from monitoring.localtime import format_local, format_utc

from .models import IncidentReport

COLUMNS = [
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
]

# OWASP CSV injection: cells starting with these are run as formulas by spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralize(value: str) -> str:
    """Prefix a quote to any cell a spreadsheet would treat as a formula. Cells
    that already start with a quote get one too, so the change is reversible:
    strip exactly one leading quote to recover the original."""
    if value.startswith(FORMULA_TRIGGERS) or value.startswith("'"):
        return "'" + value
    return value


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _number(value) -> str:
    return "" if value is None else repr(float(value))


class _Echo:
    def write(self, value):
        return value


def report_rows(reports: Iterable[IncidentReport]) -> Iterator[list[str]]:
    for report in reports:
        zone = report.station.district.region.timezone
        flags = sorted(f.code for f in report.flags.all())
        yield [
            str(report.pk),
            report.election.code,
            report.organization.name,
            report.submitted_by.public_code,
            report.station.code,
            report.station.district.region.code,
            report.station.district.code,
            report.category.code,
            report.severity,
            format_utc(report.occurred_at),
            format_local(report.occurred_at, zone),
            format_utc(report.received_at),
            _number(report.latitude),
            _number(report.longitude),
            report.state,
            ";".join(flags),
            report.triage_status,
            report.description,
        ]


def export_queryset(qs):
    return (
        qs.select_related("election", "organization", "submitted_by", "station__district__region", "category")
        .prefetch_related("flags")
        .order_by("election_id", "chain_seq", "received_at", "id")
    )


def csv_lines(reports: Iterable[IncidentReport], *, bom: bool = False) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    if bom:
        yield "\ufeff"
    yield writer.writerow(COLUMNS)
    for row in report_rows(reports):
        yield writer.writerow([neutralize(cell) for cell in row])


def iterate(qs, chunk_size: int = 2000):
    """Stream a queryset in chunks (server-side cursor on PostgreSQL)."""
    return export_queryset(qs).iterator(chunk_size=chunk_size)
