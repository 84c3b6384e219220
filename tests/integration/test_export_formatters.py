"""The export's two formatters, PostgreSQL's COPY (used on PostgreSQL) and
reports.export in Python (used on SQLite), must write the same bytes: the same
cells, neutralization, quoting, row hashes, file digest and chain summary. Fed
here with everything hostile a report can carry."""

import csv
import datetime as dt
import io
import threading

import pytest
from django.db import connection
from django.utils import timezone

from reports import export
from reports.filters import ReportFilters
from reports.models import Flag, IncidentReport
from reports.services import exports, exports_postgres
from reports.services.exports import reports_export
from reports.services.exports_python import python_rows
from tests.filing import file_report

pytestmark = pytest.mark.integration

HOSTILE = [
    '=HYPERLINK("http://example.org","click")',
    "+7 701 000 00 00",
    "-2+3",
    "@SUM(A1)",
    "\tindented",
    "\rcarriage",
    "\nnew line first",
    "'already quoted",
    'quotes "inside", and a comma',
    "line one\nline two\r\nline three",
    "back\\slash and \x01 control \x1f chars",
    "Бюллетени вброшены; «Қазақстан» — 🗳️",
    "separator\u2028inside",
    "",
]


def _both(qs, export_id="export-under-test"):
    out = {}
    for name, rows in (("python", python_rows), ("postgresql", exports_postgres.copy_rows)):
        digest, chains = export.RowsDigest(export_id, export.COLUMNS), export.ChainSummary()
        data = b"".join(chunk for chunk, _count in rows(qs, export_id, digest, chains, 7))
        out[name] = (data, digest.hexdigest(), chains.as_json())
    return out


# Fixes at the edges of number formatting: negative, tiny, none.
FIXES = [(43.0, 76.0, 12.0), (-0.5, -71.44598, 12.0), (43.25249, 76.9115, 12.0), None, (1e-05, 120.0, 12.0), (51.1801, 71.5, 12.0)]


@pytest.mark.django_db
def test_copy_and_python_write_the_same_bytes(world):
    coordinator = world.coordinator.user
    reports = []
    for n, text in enumerate(HOSTILE):
        reports.append(
            file_report(
                world,
                description=text,
                # A fix of accuracy 0.0 and a correction are filed as such: a
                # submission's submitted fields never change (migration 0013).
                gps=(43.25249, 76.9115, 0.0) if n == 2 else FIXES[n % 6],
                photos=1 if n % 5 == 0 else 0,
                station=[world.station, world.station_far, world.station_west][n % 3],
                amends=reports[0] if n == 3 else None,
                # Every door, and the last one received before doors were recorded (blank).
                source=["sms", "api", "web"][n % 3] if n < len(HOSTILE) - 1 else "",
            )
        )
    first = reports[0]
    # Decisions, a cleared flag, a decider without an observer profile, a correction.
    IncidentReport.objects.filter(pk=first.pk).update(
        assignee=coordinator, decided_by=world.superuser, decided_at=timezone.now(), triage_status="verified"
    )
    Flag.objects.update_or_create(
        report=reports[1],
        code="off_site",
        defaults={"severity": "high", "explanation": "x", "state": "cleared", "raised_at": timezone.now()},
    )
    Flag.objects.update_or_create(
        report=reports[1], code="duplicate", defaults={"severity": "low", "explanation": "y", "raised_at": timezone.now()}
    )
    IncidentReport.objects.filter(pk=reports[2].pk).update(
        state="rejected",
        rejection_reasons=[{"code": "occurred_in_future"}, {"params": {}}, {"code": "not_accredited"}],
        claimed_station_distance_m=1234.5678,
    )
    world.station.name = '=cmd|"/c calc"!A1, "Station"'
    world.station.save()
    world.coordinator.organization.name = '-Civic, "Observers"'
    world.coordinator.organization.save()

    qs = exports.export_queryset(user=None, filters=ReportFilters(election=world.election.code), now=timezone.now())
    out = _both(qs)
    python, postgresql = out["python"], out["postgresql"]
    assert python[0].count(b"\r\n") >= len(HOSTILE)
    assert b"'=HYPERLINK" in postgresql[0] and b"'+7 701" in postgresql[0] and b"'-71.44598" in postgresql[0]
    sources = [row[export.COLUMNS.index("source")] for row in csv.reader(io.StringIO(postgresql[0].decode("utf-8"), newline=""))]
    assert sorted(set(sources)) == ["", "api", "sms", "web"]
    assert python[0].split(b"\r\n") == postgresql[0].split(b"\r\n")
    assert python[1:] == postgresql[1:]  # the file digest and the chain summary


@pytest.mark.django_db
def test_formatters_agree_on_generated_data_and_scoped_queries(world, queue_of):
    queue_of(300, seed=1)
    filters = ReportFilters(election=world.election.code, flag="off_site")
    qs = exports.export_queryset(user=world.auditor.user, filters=filters, now=timezone.now())
    out = _both(qs)
    assert out["python"] == out["postgresql"]
    assert 0 < out["python"][0].count(b"\r\n") < 300


@pytest.mark.django_db(transaction=True)
def test_an_export_is_one_snapshot_while_reports_keep_arriving(world, monkeypatch):
    """A report committed after the export read its chain summary but before
    its COPY started is in neither: the two reads are one snapshot."""
    for _ in range(30):
        file_report(world, process=False)

    def arrive():
        try:
            file_report(world, process=False, occurred_at=dt.datetime(2021, 1, 10, 10, 0, tzinfo=dt.UTC))
        finally:
            connection.close()

    statement = exports_postgres.copy_statement

    def arrival_then_statement(ids_sql):
        latecomer = threading.Thread(target=arrive)
        latecomer.start()
        latecomer.join(timeout=30)
        return statement(ids_sql)

    monkeypatch.setattr(exports_postgres, "copy_statement", arrival_then_statement)
    stream = reports_export(user=None, filters=ReportFilters(election=world.election.code), source="command", chunk_size=10)
    data = b"".join(stream)
    assert IncidentReport.objects.filter(election=world.election).count() == 31
    assert b"#manifest,row_count,30\r\n" in data
    assert b'"last_seq": 30' in data.replace(b'""', b'"')
    stream.record.refresh_from_db()
    assert stream.record.row_count == 30


@pytest.mark.django_db(transaction=True)
def test_an_export_that_can_match_nothing_is_an_empty_file(world):
    file_report(world, process=False)
    # "Assigned to me" asked by the operator at the command line: no one, so nothing.
    stream = reports_export(user=None, filters=ReportFilters(election=world.election.code, assignee="me"), source="command")
    data = b"".join(stream)
    assert data.startswith(b"report_id,") and b"#manifest,row_count,0\r\n" in data
    stream.record.refresh_from_db()
    assert stream.record.row_count == 0 and stream.record.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_download_stopped_midway_releases_its_transaction_at_once(world):
    for _ in range(30):
        file_report(world, process=False)
    stream = reports_export(user=None, filters=ReportFilters(election=world.election.code), source="url", chunk_size=5)
    chunks = iter(stream)
    next(chunks), next(chunks)  # header, five rows; then the client goes away
    assert connection.in_atomic_block
    stream.close()  # what StreamingHttpResponse does when the response is closed
    assert not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    stream.record.refresh_from_db()
    assert stream.record.finished_at is None  # the file was never completed
