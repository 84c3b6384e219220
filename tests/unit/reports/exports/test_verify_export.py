"""verify_export (the stand-alone tools/verify_export.py and the management
command): OK for an untouched file, and the first altered, removed, reordered
or added row for each kind of tampering."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import export, export_columns, integrity
from reports.models import ExportRecord, IncidentReport
from testkit.factories import report_content_sha256
from tests.conftest import report_payload
from tests.filing import file_report
from tools import verify_export

ROOT = Path(__file__).resolve().parents[4]
TOOL = ROOT / "tools" / "verify_export.py"


class ExportFile:
    """An exported file as CSV records, to tamper with and write back."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, encoding="utf-8-sig", newline="") as handle:
            self.records = list(csv.reader(handle))
        self.header = self.records[0]

    @property
    def data(self) -> list[list[str]]:
        return [r for r in self.records[1:] if r[0] != "#manifest"]

    def row(self, n: int) -> list[str]:
        """Data row n (1-based)."""
        return self.data[n - 1]

    def index(self, n: int) -> int:
        return self.records.index(self.row(n))

    def set(self, n: int, column: str, value: str) -> "ExportFile":
        self.row(n)[self.header.index(column)] = value
        return self

    def save(self, path: Path | None = None) -> Path:
        path = path or self.path
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(self.records)
        return path

    def reseal(self) -> "ExportFile":
        """What a careful forger does: recompute every hash of the file."""
        idx = {name: i for i, name in enumerate(self.header)}
        manifest = {r[1]: r for r in self.records if r[0] == "#manifest"}
        export_id = manifest["export_id"][2]
        digest = export.RowsDigest(export_id, self.header)
        previous = {}
        chains = {}
        ids = {(c["election"], c["organization"]): c["organization_id"] for c in json.loads(manifest["chains"][2])}
        for cells in self.data:
            values = {name: export.restore(cells[i]) for name, i in idx.items()}
            values["content_sha256"] = verify_export.content_sha256(values)
            election, seq = (values["election"], values["organization"]), int(values["chain_seq"])
            prior = integrity.GENESIS if seq == 1 else previous[election]
            values["chain_sha256"] = integrity.chain_link(
                previous=prior,
                seq=seq,
                report_id=values["report_id"],
                received_at_utc=values["received_at_utc"],
                content_sha256=values["content_sha256"],
            )
            previous[election] = values["chain_sha256"]
            chain = chains.setdefault(
                election,
                {"election": election[0], "organization": election[1], "organization_id": ids.get(election), "kind": "incident"}
                | {"first_seq": seq, "complete_from_start": seq == 1},
            )
            chain.update(last_seq=seq, last_sha256=values["chain_sha256"])
            values["row_sha256"] = export.row_sha256(export_id, [values[name] for name in self.header[:-1]])
            digest.update(values["row_sha256"])
            for name, i in idx.items():
                cells[i] = export.neutralize(values[name])
        manifest["rows_sha256"][2] = digest.hexdigest()
        manifest["chains"][2] = json.dumps([chains[key] for key in sorted(chains)], ensure_ascii=False, sort_keys=True)
        entries = [(r[1], export.restore(r[2])) for r in self.records if r[0] == "#manifest" and r[1] != "manifest_sha256"]
        manifest["manifest_sha256"][2] = export.manifest_sha256(entries)
        return self


@pytest.fixture
def exported(world, varied_reports, download, tmp_path):
    """The platform auditor's complete export (every report, whole chain): 11 rows."""

    def make(who=None, name="reports.csv", query=""):
        _response, text = download(who or world.platform_auditor, query)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8", newline="")
        return path

    return make


def check(path, **kwargs):
    result = verify_export.verify(path, **kwargs)
    return result, (result.problem.kind if result.problem else "ok"), (result.problem.row if result.problem else None)


def test_an_untouched_export_verifies(world, exported):
    result, kind, _ = check(exported())
    assert kind == "ok" and result.rows == 11
    assert "complete from the first report" in result.summary()


def test_an_organizations_export_holds_its_whole_chain_whatever_others_filed(world, exported):
    file_report(world)  # another organization's report, in that organization's own chain
    result, kind, _ = check(exported(world.auditor))
    assert kind == "ok" and result.rows == 11
    assert "complete from the first report" in result.summary() and "not checked" not in result.summary()


def test_the_bom_version_verifies(world, exported):
    assert check(exported(query="?bom=1"))[1] == "ok"


@pytest.mark.parametrize(
    ("column", "value", "detail"),
    [
        ("description", "Nothing happened here.", "the submitted content"),
        ("severity", "low", "the submitted content"),
        ("photo_sha256s", "ab" * 32, "the submitted content"),
        ("received_at_utc", "2021-01-10T00:00:00Z", "the receipt data"),
        ("triage_status", "dismissed", "a column outside the submitted content"),
        ("flags", "off_site", "a column outside the submitted content"),
        ("decided_by", "OBS-AAAAAAAA", "a column outside the submitted content"),
        ("source", "web", "a column outside the submitted content"),
    ],
)
def test_an_altered_cell_is_found(world, exported, column, value, detail):
    path = ExportFile(exported()).set(4, column, value).save()
    result, kind, row = check(path)
    assert (kind, row) == ("altered", 4)
    assert detail in result.problem.detail
    assert result.problem.report_id == ExportFile(path).row(4)[0]


def test_an_altered_row_with_a_recomputed_row_hash_is_still_found(world, exported):
    f = ExportFile(exported()).set(3, "description", "Rewritten.")
    manifest_id = next(r[2] for r in f.records if r[:2] == ["#manifest", "export_id"])
    cells = [export.restore(c) for c in f.row(3)[:-1]]
    f.set(3, "row_sha256", export.row_sha256(manifest_id, cells))
    result, kind, row = check(f.save())
    assert (kind, row) == ("altered", 3) and "content_sha256" in result.problem.detail


def test_a_removed_row_is_found(world, exported):
    f = ExportFile(exported())
    del f.records[f.index(5)]
    result, kind, row = check(f.save())
    assert (kind, row) == ("removed", 5)
    assert "row 6 follows row 4" in result.problem.detail


def test_removed_last_rows_are_found(world, exported):
    f = ExportFile(exported())
    del f.records[f.index(11)]
    del f.records[f.index(10)]
    result, kind, row = check(f.save())
    assert (kind, row) == ("removed", 10) and "rows 10..11 of 11 missing at the end" in result.problem.detail


def test_a_truncated_download_is_found(world, exported):
    path = exported()
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("#manifest")], encoding="utf-8", newline="")
    result, kind, row = check(path)
    assert (kind, row) == ("removed", 12) and "cut short" in result.problem.detail


def _row_bytes(path, n: int) -> tuple[int, int]:
    """Byte offsets (start, end) of data row n in the file: each row starts with
    its report id at the beginning of a line."""
    data = path.read_bytes()
    f = ExportFile(path)
    start = data.index(b"\r\n" + f.row(n)[0].encode()) + 2
    end = data.index(b"\r\n" + (f.row(n + 1)[0] if n < len(f.data) else "#manifest").encode(), start) + 2
    return start, end


@pytest.mark.parametrize("where", [0.02, 0.3, 0.5, 0.97, "inside a Cyrillic character"])
def test_a_download_cut_in_the_middle_of_a_row_is_cut_short_not_altered(world, exported, where):
    """`head -c N export.csv`: the last row is incomplete and there is no manifest."""
    path = exported()
    data = path.read_bytes()
    start, end = _row_bytes(path, 1)
    if where == "inside a Cyrillic character":
        cut = data.index("Бюллетени".encode()) + 1  # half of the two bytes of "Б"
    else:
        cut = start + int((end - start) * where)
    path.write_bytes(data[:cut])

    result, kind, row = check(path)
    assert (kind, row) == ("cut", 1), result.summary()
    assert "cut short" in result.summary()
    tool = run_tool(path, cwd=path.parent)
    assert tool.returncode == 1 and "cut short" in tool.stdout, tool.stdout + tool.stderr
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert failure.value.returncode == 1 and "cut short" in str(failure.value)


def test_a_download_cut_in_a_later_row_names_that_row(world, exported):
    path = exported()
    data = path.read_bytes()
    start, end = _row_bytes(path, 6)
    path.write_bytes(data[: (start + end) // 2])
    result, kind, row = check(path)
    assert (kind, row) == ("cut", 6) and result.rows == 5
    assert "row 6 (line " in result.summary() and "the file ends inside this row" in result.summary()


def test_reordered_rows_are_found(world, exported):
    f = ExportFile(exported())
    a, b = f.index(3), f.index(7)
    f.records[a], f.records[b] = f.records[b], f.records[a]
    result, kind, row = check(f.save())
    assert (kind, row) == ("reordered", 3) and "row 7 stands where row 3 belongs" in result.problem.detail


def test_a_file_sorted_in_a_spreadsheet_is_found(world, exported):
    f = ExportFile(exported())
    column = f.header.index("description")
    f.records[1:12] = sorted(f.data, key=lambda r: r[column])
    assert check(f.save())[1] == "reordered"


def test_an_inserted_made_up_row_is_found(world, exported):
    f = ExportFile(exported())
    fake = list(f.row(2))
    fake[f.header.index("description")] = "Invented incident."
    fake[f.header.index("report_id")] = "00000000-0000-4000-8000-000000000000"
    f.records.insert(f.index(3), fake)
    result, kind, row = check(f.save())
    assert (kind, row) == ("added", 3) and result.problem.report_id == "00000000-0000-4000-8000-000000000000"


def test_a_duplicated_row_is_found(world, exported):
    f = ExportFile(exported())
    f.records.insert(f.index(6), list(f.row(2)))
    result, kind, row = check(f.save())
    assert (kind, row) == ("added", 6) and "second copy of row 2" in result.problem.detail


def test_a_row_from_another_export_is_found(world, exported):
    first = ExportFile(exported(name="a.csv"))
    second = ExportFile(exported(name="b.csv"))
    assert first.row(4)[:-2] == second.row(4)[:-2]  # the same report, the same data
    first.records.insert(first.index(4), list(second.row(4)))
    result, kind, row = check(first.save())
    assert (kind, row) == ("added", 4)


def test_a_row_appended_at_the_end_or_after_the_manifest_is_found(world, exported):
    f = ExportFile(exported())
    extra = list(f.row(1))
    extra[f.header.index("row_number")] = "12"
    f.records.insert(f.index(11) + 1, extra)
    assert check(f.save())[1:] == ("added", 12)

    f = ExportFile(exported())
    f.records.append(list(f.row(1)))
    assert check(f.save())[1:] == ("added", 12)


def test_an_edited_manifest_is_found(world, exported):
    f = ExportFile(exported())
    for record in f.records:
        if record[:2] == ["#manifest", "filters"]:
            record[2] = '{"election": "kz-test-2021", "region": "almaty"}'
    result, kind, _ = check(f.save())
    assert kind == "manifest" and "manifest_sha256" in result.problem.detail

    f = ExportFile(exported())
    for record in f.records:
        if record[:2] == ["#manifest", "row_count"]:
            record[2] = "12"
    assert check(f.save())[1] == "removed"  # the manifest promises a row the file lacks


def test_an_edited_header_is_found(world, exported):
    f = ExportFile(exported())
    f.records[0][f.header.index("description")] = "notes"
    assert check(f.save())[1:] == ("altered", 0)


def test_a_full_forgery_needs_the_platforms_record_to_show(world, exported):
    """Everything recomputed: the chains no longer pass through the signed
    checkpoints the manifest carries. A forger who also drops those makes a
    self-consistent file; the export record's rows hash, and the platform's
    own evidence, still tell."""
    forged = ExportFile(exported()).set(5, "description", "Nothing to see.").reseal()
    assert check(forged.save())[1] == "rewritten"
    next(r for r in forged.records if r[:2] == ["#manifest", "checkpoints"])[2] = "[]"
    path = forged.reseal().save()
    assert check(path)[1] == "ok"

    record = ExportRecord.objects.get()
    result, kind, _ = check(path, expected_rows_sha256=record.rows_sha256)
    assert kind == "manifest" and "re-hashed" in result.problem.detail

    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert "row 5 (line " in str(failure.value) and "differ from the platform's evidence" in str(failure.value)


def test_a_forged_triage_decision_is_caught_by_the_platform_record(world, exported):
    path = ExportFile(exported()).set(2, "triage_status", "verified").reseal().save()
    assert check(path)[1] == "ok"
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert "does not match export" in str(failure.value)


def test_a_forged_source_is_named_by_the_platform(world, exported):
    """`source` is not in the content hash: a file whose door was changed and
    every hash recomputed is self-consistent; the platform names the row."""
    f = ExportFile(exported())
    row = next(n for n in range(1, len(f.data) + 1) if f.row(n)[f.header.index("source")] == "sms")
    path = f.set(row, "source", "api").reseal().save()
    # Neither the content hash nor the chain covers it, so even the signed checkpoints still hold...
    assert check(path)[1] == "ok"
    # ...but the rows are not those the platform served, and the platform knows each report's door.
    record = ExportRecord.objects.get()
    assert check(path, expected_manifest_sha256=record.manifest_sha256)[1] == "manifest"
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert f"row {row} (line " in str(failure.value) and "its source 'api' differs from the platform's ('sms')" in str(failure.value)


def _rewrite_in_the_database(report, description: str) -> None:
    """What someone with database access does: change the observer's words and
    recompute the report's content hash, leaving its chain link alone."""
    content = report_content_sha256(IncidentReport.objects.get(pk=report.pk), description=description)
    IncidentReport.objects.filter(pk=report.pk).update(description=description, content_sha256=content)


def test_a_report_rewritten_in_the_database_breaks_its_organizations_chain_in_the_file(world, exported):
    """The report's description and content hash rewritten in the database,
    its link left alone. An organization's export holds its whole chain, so
    the file alone finds the row, and so does the command (which recomputes
    every link from the platform's previous one)."""
    tampered = file_report(world, description="Ballots were stuffed into box 3.")
    _rewrite_in_the_database(tampered, "Nothing happened.")
    path = exported(world.auditor)
    f = ExportFile(path)
    row = next(n for n in range(1, len(f.data) + 1) if f.row(n)[0] == str(tampered.pk))
    assert f.row(row)[f.header.index("description")] == "Nothing happened."
    assert check(path)[1:] == ("altered", row)

    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert failure.value.returncode == 1
    assert f"row {row} (line " in str(failure.value) and f"report {tampered.pk})" in str(failure.value)


def test_command_checks_the_link_before_a_filtered_exports_first_row(world, exported):
    """A filtered export starts inside the chain: the command recomputes the
    first row's link from the platform's previous link and finds a report
    whose content was rewritten in the database."""
    file_report(world)
    tampered = file_report(world, description="Ballots were stuffed into box 3.")
    _rewrite_in_the_database(tampered, "Nothing happened.")
    path = exported(world.auditor, query=f"?q={tampered.pk}")
    assert check(path)[1] == "ok"  # the file alone cannot check the first link
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert f"report {tampered.pk})" in str(failure.value) and "chain link" in str(failure.value)


def test_command_names_a_report_deleted_from_the_platform(world, exported):
    file_report(world)
    last = file_report(world)
    path = exported(world.auditor)
    gone = IncidentReport.objects.get(organization=last.organization, election=world.election, chain_seq=last.chain_seq - 1)
    IncidentReport.objects.filter(pk=gone.pk).delete()
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert f"report {gone.pk})" in str(failure.value) and "no such report on the platform" in str(failure.value)


def test_command_reports_ok_and_problems(world, exported, capsys):
    path = exported()
    call_command("verify_export", str(path))
    out = capsys.readouterr().out
    assert out.startswith("OK: 11 rows verified") and "matches the export recorded by the platform" in out

    ExportFile(path).set(2, "description", "x").save()
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path), "--offline")
    assert failure.value.returncode == 1 and "row 2" in str(failure.value)


def test_command_refuses_an_export_the_platform_never_made(world, exported):
    path = exported()
    ExportRecord.objects.all().delete()
    with pytest.raises(CommandError, match="no record of export"):
        call_command("verify_export", str(path))


def test_not_an_export(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\r\n1,2\r\n", encoding="utf-8")
    with pytest.raises(verify_export.NotAnExport):
        verify_export.verify(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(verify_export.NotAnExport):
        verify_export.verify(path)


def run_tool(*args, cwd):
    """The stand-alone script, isolated (-I): no project on the path, no site packages' surprises."""
    return subprocess.run([sys.executable, "-I", str(TOOL), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_the_standalone_script_runs_without_the_app(world, exported, tmp_path):
    path = exported()
    copy = tmp_path / "verify_export.py"
    copy.write_text(TOOL.read_text())
    ok = subprocess.run([sys.executable, "-I", str(copy), str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 11 rows verified"), ok.stderr

    ExportFile(path).set(7, "state", "rejected").save()
    failed = run_tool(path, cwd=tmp_path)
    assert failed.returncode == 1 and failed.stdout.startswith("FAILED: row 7 (line ")

    broken = tmp_path / "empty.csv"
    broken.write_text("")
    assert run_tool(broken, cwd=tmp_path).returncode == 2


# --- The stand-alone verifier and the platform hash the same way ---------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
coordinate = st.one_of(st.none(), st.floats(min_value=-90, max_value=90, allow_nan=False).map(lambda x: round(x, 6)))


@settings(max_examples=200, deadline=None)
@given(
    description=text,
    latitude=coordinate,
    longitude=coordinate,
    accuracy=st.one_of(st.none(), st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda x: round(x, 1))),
    photos=st.lists(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), max_size=3),
    amends=st.one_of(st.none(), st.uuids().map(str)),
    severity=st.sampled_from(["low", "medium", "high", "critical"]),
)
def test_content_hash_matches_the_platform(description, latitude, longitude, accuracy, photos, amends, severity):
    common = dict(
        client_uuid="3f1e2d4c-0000-4000-8000-000000000001",
        observer_code="OBS-ABCDEFGH",
        election_code="kz-majilis-2021",
        station_code="02001",
        occurred_at_utc="2021-01-10T03:30:00Z",
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy,
    )
    own = dict(category_code="ballot_stuffing", severity=severity, description=description, amends=amends, photo_sha256s=photos)
    row = {
        "client_uuid": common["client_uuid"],
        "observer_code": common["observer_code"],
        "election": common["election_code"],
        "station_code": common["station_code"],
        "category": own["category_code"],
        "severity": severity,
        "occurred_at_utc": common["occurred_at_utc"],
        "description": export.restore(export.neutralize(description)),
        "latitude": export_columns.number(latitude),
        "longitude": export_columns.number(longitude),
        "accuracy_m": export_columns.number(accuracy),
        "amends": amends or "",
        "photo_sha256s": ";".join(photos),
    }
    assert verify_export.content_sha256(row) == integrity.content_sha256(**common, content=integrity.incident_content(**own))


@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(text, min_size=1, max_size=8),
    export_id=st.integers(min_value=1).map(str),
    entries=st.lists(st.tuples(text, text), max_size=5),
)
def test_row_rows_and_manifest_hashes_match_the_platform(cells, export_id, entries):
    assert verify_export.row_sha256(export_id, cells) == export.row_sha256(export_id, cells)
    ours, theirs = export.RowsDigest(export_id, cells), verify_export.RowsDigest(export_id, cells)
    for cell in cells:
        digest = export.row_sha256(export_id, [cell])
        ours.update(digest)
        theirs.update(digest)
    assert ours.hexdigest() == theirs.hexdigest()
    assert verify_export.manifest_sha256(entries) == export.manifest_sha256(entries)
    assert verify_export.chain_link("0" * 64, 7, export_id, "2021-01-10T03:30:00Z", "ab" * 32) == integrity.chain_link(
        previous="0" * 64, seq=7, report_id=export_id, received_at_utc="2021-01-10T03:30:00Z", content_sha256="ab" * 32
    )
    assert verify_export.MANIFEST_KEYS == export.MANIFEST_KEYS and verify_export.FORMAT == export.FORMAT


# --- Signed zero ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [
        {"latitude": -0.0, "longitude": -0.0, "accuracy_m": 12.0},
        {"latitude": 43.2527, "longitude": 76.9118, "accuracy_m": -0.0},
    ],
)
def test_negative_zero_survives_the_database_and_an_export(world, as_user, exported, position, django_capture_on_commit_callbacks):
    """JSON `-0.0` is a valid number; what the database gives back (0.0) must
    hash to the content hash fixed at intake, or every export holding the
    report would read as altered."""
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.observer).post("/api/v1/reports/", report_payload(world, **position), format="json")
    assert response.status_code == 201, response.content
    report = IncidentReport.objects.get(pk=response.json()["id"])
    recomputed = report_content_sha256(report)
    assert recomputed == report.content_sha256
    result, kind, _ = check(exported())
    assert kind == "ok", result.summary()
