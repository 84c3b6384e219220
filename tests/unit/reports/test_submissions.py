"""The submissions hub and its kinds: each proxy sees its own kind only and
makes rows of its kind, the database ties each kind's columns to it, every
kind has its own canonical content (an incident's is what it always was), and
the reports export holds incident reports only."""

import csv
import datetime as dt
import io

import pytest
from django.db import IntegrityError, transaction

from reports import integrity
from reports.models import CheckIn, IncidentCategory, IncidentReport, Submission
from testkit.factories import CheckInFactory, IncidentReportFactory, checkin_content_sha256, report_content_sha256
from tests.filing import file_checkin, file_report


@pytest.fixture
def one_of_each(world):
    report = IncidentReportFactory(election=world.election, station=world.station, submitted_by=world.observer)
    checkin = CheckInFactory(election=world.election, station=world.station, submitted_by=world.observer)
    return report, checkin


def test_each_proxy_sees_its_own_kind_only(one_of_each):
    report, checkin = one_of_each
    assert list(IncidentReport.objects.values_list("pk", flat=True)) == [report.pk]
    assert list(CheckIn.objects.values_list("pk", flat=True)) == [checkin.pk]
    assert set(Submission.objects.values_list("pk", flat=True)) == {report.pk, checkin.pk}
    assert not IncidentReport.objects.filter(pk=checkin.pk).exists()
    with pytest.raises(IncidentReport.DoesNotExist):
        IncidentReport.objects.get(pk=checkin.pk)
    assert not CheckIn.objects.filter(pk=report.pk).exists()


def test_a_row_made_through_a_proxy_is_of_its_kind(world, one_of_each):
    report, checkin = one_of_each
    assert (report.kind, checkin.kind) == ("incident", "checkin")
    assert CheckIn(checkin_kind="left").kind == "checkin" and IncidentReport().kind == "incident"
    # bulk_create builds instances itself: the proxy's kind still holds.
    [bulk] = CheckIn.objects.bulk_create([CheckIn(**_copy_of(checkin))])
    assert Submission.objects.get(pk=bulk.pk).kind == "checkin"
    # A row read through the hub keeps the kind it was stored with.
    assert Submission.objects.get(pk=report.pk).kind == "incident"


def _copy_of(checkin) -> dict:
    fields = {f.attname: getattr(checkin, f.attname) for f in Submission._meta.concrete_fields if f.attname not in ("id", "kind")}
    return {**fields, "client_uuid": "00000000-0000-4000-8000-000000000001", "chain_seq": None}


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("checkin", {"category_id": "carousel"}),  # a check-in with a category
        ("checkin", {"severity": "high"}),
        ("checkin", {"description": "not for a check-in"}),
        ("checkin", {"checkin_kind": None}),  # a check-in that says nothing
        ("incident", {"category_id": None}),  # an incident without a category
        ("incident", {"severity": None}),
        ("incident", {"checkin_kind": "arrived"}),  # an incident with a check-in's column
        ("incident", {"kind": "rumour"}),  # no such kind
        ("incident", {"kind": ""}),
    ],
)
def test_the_database_ties_each_kinds_columns_to_it(one_of_each, kind, changes):
    report, checkin = one_of_each
    row = checkin if kind == "checkin" else report
    if changes.get("category_id") == "carousel":
        changes = {"category_id": IncidentCategory.objects.get(code="carousel_voting").pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.filter(pk=row.pk).update(**changes)


def test_a_client_uuid_is_the_observers_across_kinds(world, one_of_each):
    report, _checkin = one_of_each
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckInFactory(election=world.election, station=world.station, submitted_by=world.observer, client_uuid=report.client_uuid)


# --- Content hash per kind ------------------------------------------------------------------

COMMON = dict(
    client_uuid="3f1e2d4c-0000-4000-8000-000000000001",
    observer_code="OBS-ABCDEFGH",
    election_code="kz-majilis-2021",
    station_code="02001",
    occurred_at_utc="2021-01-10T03:30:00Z",
    latitude=43.2527,
    longitude=76.9118,
    accuracy_m=12.0,
)


def test_an_incidents_content_hash_is_the_one_reports_always_had():
    """Computed with reports/integrity.py as it was before there were other kinds:
    the hashes of reports received then (and of their exports) stay valid."""
    own = integrity.incident_content(
        category_code="ballot_stuffing",
        severity="critical",
        description="Мужчина опустил пачку бюллетеней.",
        amends=None,
        photo_sha256s=["b" * 64, "a" * 64],
    )
    assert integrity.content_sha256(**COMMON, content=own) == "eea05da0c18756d5a26ed66e5f72cf529927979c02c88b82c6b6332569e7dfd7"
    assert b'"kind"' not in integrity.canonical_content(**COMMON, content=own)


def test_a_checkins_content_names_its_kind_and_what_it_says():
    arrived = integrity.canonical_content(**COMMON, content=integrity.checkin_content(checkin_kind="arrived"))
    assert arrived == (
        b'{"accuracy_m":12.0,"checkin":"arrived","client_uuid":"3f1e2d4c-0000-4000-8000-000000000001","election":"kz-majilis-2021",'
        b'"kind":"checkin","latitude":43.2527,"longitude":76.9118,"observer":"OBS-ABCDEFGH","occurred_at":"2021-01-10T03:30:00Z",'
        b'"station":"02001"}'
    )
    hashes = {
        integrity.content_sha256(**COMMON, content=integrity.checkin_content(checkin_kind=k)) for k in ("arrived", "all_quiet", "left")
    }
    assert len(hashes) == 3


def test_intake_fixes_each_kinds_own_content_hash(world):
    report = file_report(world, process=False)
    checkin = file_checkin(world, kind="all_quiet", process=False)
    assert report.content_sha256 == report_content_sha256(report)
    assert checkin.content_sha256 == checkin_content_sha256(checkin)
    assert report.content_sha256 != checkin.content_sha256
    # Each is the first link of its own chain: the organization's reports, its check-ins.
    assert (report.chain_seq, checkin.chain_seq) == (1, 1)


# --- The reports export ------------------------------------------------------------------------


def _rows(client, election) -> tuple[list[dict], dict]:
    response = client.get(f"/exports/reports.csv?election={election.code}")
    text = b"".join(response.streaming_content).decode("utf-8")
    lines = text.splitlines()
    rows = [r for r in csv.DictReader(io.StringIO(text)) if not r["report_id"].startswith("#manifest")]
    chains = next(line for line in lines if line.startswith("#manifest,chains,"))
    return rows, chains


def test_the_reports_export_holds_incident_reports_only_with_the_same_cells(world, admin_as):
    occurred = dt.datetime(2021, 1, 10, 9, 30, tzinfo=dt.UTC)
    reports = [file_report(world, occurred_at=occurred + dt.timedelta(minutes=i)) for i in range(2)]
    client = admin_as(world.auditor)
    before, chains_before = _rows(client, world.election)

    file_checkin(world)
    file_checkin(world, kind="all_quiet", observer=world.observer_2)
    after, chains_after = _rows(client, world.election)

    assert [r["report_id"] for r in after] == [str(r.pk) for r in reports]
    # Every cell the same, except those bound to the export itself.
    bound = {"row_sha256"}
    assert [{k: v for k, v in r.items() if k not in bound} for r in after] == [
        {k: v for k, v in r.items() if k not in bound} for r in before
    ]
    # The check-ins came after the reports: the reports are still the chain from its start.
    assert chains_after == chains_before and '""complete_from_start"": true' in chains_after


def test_a_check_in_between_reports_leaves_no_gap_in_the_reports_chain(world, admin_as):
    file_report(world)
    file_checkin(world)
    file_report(world, occurred_at=dt.datetime(2021, 1, 10, 10, 0, tzinfo=dt.UTC))
    rows, chains = _rows(admin_as(world.auditor), world.election)
    assert [r["chain_seq"] for r in rows] == ["1", "2"]  # check-ins are a chain of their own
    assert '""complete_from_start"": true' in chains
