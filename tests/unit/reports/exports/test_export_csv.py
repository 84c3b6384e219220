"""The CSV export behind its three doors: columns, encoding, quoting, formula
injection, filters, access, the export record, streaming, and the command."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import export
from reports.filters import ReportFilters
from reports.models import ExportRecord
from reports.services.exports import reports_export
from reports.services.triage import report_assign, report_decide
from tests.conftest import report_payload
from tests.filing import file_report
from tests.unit.reports.exports.conftest import INJECTIONS, STATION_NAMES, parse
from tools import verify_export

ROOT = Path(__file__).resolve().parents[4]
SKELETON_COLUMNS = [
    "report_id", "election", "organization", "observer_code", "station_code", "region", "district", "category", "severity",
    "occurred_at_utc", "occurred_at_local", "received_at_utc", "latitude", "longitude", "state", "flags", "triage_status", "description",
]  # fmt: skip


def test_columns_are_stable_and_documented(world, varied_reports, download):
    _response, text = download(world.auditor, "?election=kz-test-2021")
    header, rows, _manifest = parse(text)

    assert header == export.COLUMNS
    assert header[: len(SKELETON_COLUMNS)] == SKELETON_COLUMNS  # the skeleton's columns keep their places
    for required in ["station_name", "phase", "accuracy_m", "geotag_source", "claimed_station_distance_m", "rejection_reasons",
                     "risk_score", "assignee", "decided_by", "decided_at", "photo_count", "photo_sha256s", "content_sha256",
                     "chain_sha256"]:  # fmt: skip
        assert required in header
    dictionary = (ROOT / "docs" / "export.md").read_text().split("## Data dictionary")[1].split("\n## ")[0]
    documented = re.findall(r"^\| `([a-z0-9_]+)` \| [^|]+ \| [^|]+ \|", dictionary, flags=re.M)
    assert documented == header  # name, type, meaning, example for each, in order
    assert verify_export.COLUMNS == header


def test_rows_carry_the_reports_facts(world, varied_reports, download):
    stuffing = varied_reports[0]
    report_assign(report_id=stuffing.pk, actor=world.coordinator.user, assignee=world.coordinator.user)
    report_decide(report_id=stuffing.pk, actor=world.coordinator.user, status="verified")
    _response, text = download(world.auditor)
    rows = {r["report_id"]: r for r in parse(text)[1]}
    row = rows[str(stuffing.pk)]
    stuffing.refresh_from_db()

    assert row["observer_code"] == world.observer.public_code
    assert row["station_name"] == world.station.name and row["phase"] == "voting"
    # Critical; one of the many reports at 02001 at 09:30 (a hot spot); and its
    # observer also "reported" from Nur-Sultan and Aktobe at that minute.
    assert row["flags"] == "critical_category;hotspot;impossible_travel" and row["triage_status"] == "verified"
    assert row["assignee"] == row["decided_by"] == world.coordinator.public_code
    assert row["decided_at"].endswith("Z")
    assert row["photo_count"] == "2"
    assert row["photo_sha256s"].split(";") == [p.sha256 for p in stuffing.attachments.order_by("position")]
    assert row["content_sha256"] == stuffing.content_sha256 and row["chain_sha256"] == stuffing.chain_sha256
    assert row["geotag_source"] == "device_gps" and float(row["claimed_station_distance_m"]) > 0
    assert row["occurred_at_utc"] == "2021-01-10T03:30:00Z" and row["occurred_at_local"] == "2021-01-10T09:30:00+06:00"


def test_rows_say_the_door_each_report_came_in_by(world, varied_reports, download):
    _response, text = download(world.auditor)
    header, rows, manifest = parse(text)
    by_id = {r["report_id"]: r["source"] for r in rows}
    api, web, sms = (str(r.pk) for r in varied_reports[:3])
    assert (by_id[api], by_id[web], by_id[sms]) == ("api", "web", "sms")
    # A report received before doors were recorded has an empty cell.
    before = file_report(world, source="")
    assert {r["report_id"]: r["source"] for r in parse(download(world.auditor)[1])[1]}[str(before.pk)] == ""
    # The new column comes before the row's number and hash, in a new format.
    assert header[-3:] == ["source", "row_number", "row_sha256"]
    assert manifest["format"] == "election-reports-csv/4"


def test_no_names_only_public_codes(world, varied_reports, download):
    for persona in (world.observer, world.observer_2, world.coordinator):
        persona.user.first_name, persona.user.last_name = "Aigerim", "Nurlanova"
        persona.user.save()
    report_decide(report_id=varied_reports[0].pk, actor=world.coordinator.user, status="verified")
    _response, text = download(world.platform_auditor)
    assert "Nurlanova" not in text and "Aigerim" not in text
    for username in ("observer", "observer-2", "coordinator"):
        assert not re.search(rf"(^|,){re.escape(username)}(,|$)", text, flags=re.M)


def test_cyrillic_and_kazakh_text_round_trip_in_utf8(world, varied_reports, download):
    response, text = download(world.auditor)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not text.startswith("\ufeff")
    descriptions = {r["description"] for r in parse(text)[1]}
    assert "Бюллетени вброшены в урну №2; председатель молчит." in descriptions
    assert "Сайлау учаскесінде бейне камера өшірілген, «Қазақстан»." in descriptions


def test_bom_on_request(world, varied_reports, download):
    _response, text = download(world.auditor, "?bom=1")
    assert text.startswith("\ufeffreport_id,")


def test_rfc4180_quoting_and_crlf(world, varied_reports, download):
    _response, text = download(world.auditor)
    assert '"He said ""vote for us"", then left.\nSecond line, with a comma."' in text
    assert text.startswith(",".join(export.COLUMNS) + "\r\n") and text.endswith("\r\n")
    descriptions = {r["description"] for r in parse(text)[1]}
    assert 'He said "vote for us", then left.\nSecond line, with a comma.' in descriptions


def test_every_formula_trigger_is_neutralized_and_the_evidence_still_verifies(world, varied_reports, download, tmp_path):
    _response, text = download(world.auditor)
    rows = parse(text)[1]
    cells = {r["description"] for r in rows} | {r["station_name"] for r in rows}
    for injection in [*INJECTIONS, *STATION_NAMES.values()]:
        assert "'" + injection in cells
        assert injection not in cells
    for row in parse(text)[1]:
        for value in row.values():
            assert not value.startswith(export.FORMULA_TRIGGERS)
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert verify_export.verify(path).ok  # the content hashes are of the original text


def test_neutralize_every_trigger_and_reversibly():
    for value in ["=1", "+1", "-1", "@A1", "\tx", "\rx", "\nx", "'x"]:
        assert export.neutralize(value) == "'" + value
    for value in ["plain", "", "1.5", "Қазақстан", " =not first"]:
        assert export.neutralize(value) == value
    for value in [*INJECTIONS, "plain", "", "''", "'=x", "\n\n"]:
        assert export.restore(export.neutralize(value)) == value


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?election=kz-test-2021", 10),
        ("?severity=critical", 1),
        ("?category=video_camera_off", 1),
        ("?flag=no_location", 1),
        ("?has_photos=yes", 1),
        ("?q=урну", 1),
        ("?station=05001", 1),
        ("?triage_status=escalated&region=almaty", 1),
        ("?received_within=24h", 10),
    ],
)
def test_download_takes_the_queues_filters(world, varied_reports, download, query, expected):
    response, text = download(world.auditor, query)
    assert response.status_code == 200
    _header, rows, manifest = parse(text)
    assert len(rows) == expected == int(manifest["row_count"])
    assert ExportRecord.objects.get().row_count == expected


@pytest.mark.parametrize("query", ["?severity=apocalyptic", "?colour=red", "?received_from=yesterday"])
def test_bad_filters_are_a_400_not_a_guess(world, download, query):
    response, text = download(world.auditor, query)
    assert response.status_code == 400
    assert not ExportRecord.objects.exists()


def test_access_per_persona(world, varied_reports, download, client):
    anonymous = client.get("/exports/reports.csv")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert download(world.observer)[0].status_code == 403

    own = {str(r.pk) for r in varied_reports[:-1]}
    assert {r["report_id"] for r in parse(download(world.auditor)[1])[1]} == own
    assert {r["report_id"] for r in parse(download(world.coordinator)[1])[1]} == own
    assert {r["report_id"] for r in parse(download(world.other_coordinator)[1])[1]} == {str(varied_reports[-1].pk)}
    assert len(parse(download(world.platform_auditor)[1])[1]) == len(varied_reports)


def test_every_export_is_recorded(world, varied_reports, download):
    response, text = download(world.auditor, "?region=almaty")
    _header, rows, manifest = parse(text)
    record = ExportRecord.objects.get()

    assert response["X-Export-Id"] == str(record.pk) == manifest["export_id"]
    assert record.requested_by_id == world.auditor.user_id and record.source == "url"
    assert record.filters["region"] == "almaty" and record.filters["scope"] == "organization: Civic Observers"
    assert record.row_count == len(rows) and record.rows_sha256 == manifest["rows_sha256"]
    assert record.finished_at is not None and record.finished_at >= record.started_at
    assert manifest["generated_by"] == world.auditor.public_code


def test_an_interrupted_download_leaves_an_unfinished_record(world, varied_reports):
    stream = iter(reports_export(user=world.auditor.user, filters=ReportFilters(), source="url", chunk_size=2))
    next(stream)
    next(stream)
    stream.close()
    record = ExportRecord.objects.get()
    assert record.finished_at is None and record.rows_sha256 == ""


def test_the_export_streams_chunk_by_chunk(world, queue_of):
    """Rows are read and written a chunk at a time: after the first chunk only
    that chunk's flags and photos were fetched (memory is measured in bench/)."""
    queue_of(35, seed=1)
    stream = iter(reports_export(user=world.auditor.user, filters=ReportFilters(), source="url", chunk_size=10))
    with CaptureQueriesContext(connection) as captured:
        header = next(stream)
        first = next(stream)
    assert header.startswith(b"report_id,") and first.count(b"\r\n") == 10
    assert sum(' FROM "reports_flag"' in q["sql"] for q in captured.captured_queries) == 1
    with CaptureQueriesContext(connection) as captured:
        rest = b"".join(stream)
    assert b"#manifest,row_count,35\r\n" in rest
    assert sum(' FROM "reports_flag"' in q["sql"] for q in captured.captured_queries) == 3  # chunks 2, 3 and 4


def test_command_writes_a_file_with_progress_on_stderr(world, varied_reports, tmp_path, capsys):
    path = tmp_path / "reports.csv"
    call_command("export_reports", "--election", "kz-test-2021", "--output", str(path), "--bom")
    err = capsys.readouterr().err

    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeffreport_id,")
    assert len(parse(text.lstrip("\ufeff"))[1]) == len(varied_reports)  # every organization
    assert "export" in err and "rows" in err and "100%" in err
    assert verify_export.verify(path).ok
    record = ExportRecord.objects.get()
    assert record.source == "command" and record.requested_by is None


def test_command_filters_and_user_scope(world, varied_reports, tmp_path):
    path = tmp_path / "scoped.csv"
    call_command("export_reports", "--user", "other-coordinator", "--output", str(path), "--no-progress")
    assert [r["report_id"] for r in parse(path.read_text(encoding="utf-8"))[1]] == [str(varied_reports[-1].pk)]

    call_command("export_reports", "--severity", "critical", "--search", "урну", "--output", str(path), "--no-progress")
    assert len(parse(path.read_text(encoding="utf-8"))[1]) == 1


def test_command_writes_to_stdout(world, varied_reports, capsysbinary):
    call_command("export_reports", "--election", "kz-test-2021", "--no-progress")
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith("report_id,") and "#manifest,rows_sha256," in out


def test_every_row_is_a_complete_csv_record(world, varied_reports, download):
    _response, text = download(world.platform_auditor)
    records = list(csv.reader(io.StringIO(text)))
    data = [r for r in records[1:] if r[0] != "#manifest"]
    assert {len(r) for r in data} == {len(export.COLUMNS)}


def test_csv_export_is_scoped_pseudonymous_and_neutralizes_formulas(world, download):
    mine = file_report(world, description='=HYPERLINK("http://evil")')
    file_report(world, observer=world.other_observer)

    response, text = download(world.auditor, f"?election={world.election.code}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, rows, _manifest = parse(text)
    assert [r["report_id"] for r in rows] == [str(mine.pk)]
    assert header[: len(SKELETON_COLUMNS)] == SKELETON_COLUMNS
    row = rows[0]
    assert row["observer_code"] == world.observer.public_code
    assert row["occurred_at_local"].endswith("+06:00") and row["occurred_at_utc"].endswith("Z")
    assert row["description"].startswith("'=")
    for name in ("observer", world.observer.user.username):
        assert f",{name}," not in text


def test_csv_export_refuses_observers_and_anonymous(world, client):
    assert client.get("/exports/reports.csv").status_code in (302, 401, 403)
    client.force_login(world.observer.user)
    assert client.get("/exports/reports.csv").status_code == 403


def test_export_command_writes_the_same_csv(world, tmp_path):
    report = file_report(world)
    target = tmp_path / "out.csv"
    call_command("export_reports", "--election", world.election.code, "--output", str(target))
    assert [r["report_id"] for r in parse(target.read_text(encoding="utf-8"))[1]] == [str(report.pk)]


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]


def test_csv_formula_injection_is_neutralized_in_every_export_door(world, post_report, download, tmp_path):
    from monitoring.models import ObserverOrganization

    for formula in FORMULAS:
        assert post_report(world.observer, report_payload(world, description=formula)).status_code == 201
    ObserverOrganization.objects.filter(pk=world.observer.organization_id).update(name="=1+1 Civic")

    url_rows = parse(download(world.auditor)[1])[1]
    out = tmp_path / "export.csv"
    call_command("export_reports", "--election", world.election.code, "--output", str(out), stderr=io.StringIO())
    command_rows = parse(out.read_text(encoding="utf-8-sig"))[1]
    for rows in (url_rows, command_rows):
        assert len(rows) == len(FORMULAS)
        for row in rows:
            for value in row.values():
                assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), value
        assert all(r["description"].startswith("'") for r in rows)
        assert {r["organization"] for r in rows} == {"'=1+1 Civic"}
