"""The manifest is evidence too: the platform keeps every export's manifest and
its hash, and both verifiers refuse a file whose labels (filters, scope,
requester, time) were edited and re-hashed ("relabelled").

The attack: a coordinator exports `?received_to=2000-01-01` (no rows), edits
the manifest to say it holds every report, and recomputes `manifest_sha256`.
The file is self-consistent, and its rows hash is the one the platform
recorded, so only the recorded manifest can tell."""

import json

import pytest
from django.core.management import CommandError, call_command

from reports import export
from reports.models import ExportRecord
from tests.filing import file_report
from tests.unit.reports.exports.test_verify_export import ExportFile, check, run_tool
from tools import verify_export

EMPTY = "?received_to=2000-01-01"


@pytest.fixture
def filed(world):
    return [file_report(world, description=f"Report {n}.") for n in range(3)]


@pytest.fixture
def export_as(download, tmp_path):
    def make(who, query="", name="reports.csv"):
        response, text = download(who, query)
        assert response.status_code == 200, text
        path = tmp_path / name
        path.write_text(text, encoding="utf-8", newline="")
        return path, ExportRecord.objects.get(pk=int(response["X-Export-Id"]))

    return make


def _manifest(f: ExportFile) -> dict[str, list[str]]:
    return {r[1]: r for r in f.records if r[0] == "#manifest"}


def relabel(path, **labels) -> ExportFile:
    """Change manifest entries and recompute the manifest's own hash, as a forger would."""
    f = ExportFile(path)
    manifest = _manifest(f)
    for key, value in labels.items():
        manifest[key][2] = export.neutralize(value)
    entries = [(r[1], export.restore(r[2])) for r in f.records if r[0] == "#manifest" and r[1] != "manifest_sha256"]
    manifest["manifest_sha256"][2] = export.manifest_sha256(entries)
    f.save()
    return f


# What the forger claims instead (filters: every report of the election).
CLAIMS = {
    "filters": None,
    "scope": "all organizations",
    "generated_by": "OBS-AUDITOR1",
    "generated_at": "2021-01-10T18:00:00Z",
}


@pytest.mark.parametrize("label", list(CLAIMS))
def test_a_relabelled_empty_export_is_refused_by_both_verifiers(world, filed, export_as, label):
    path, record = export_as(world.coordinator, EMPTY)
    assert record.row_count == 0
    relabel(path, **{label: CLAIMS[label] or json.dumps({"election": world.election.code})})

    # Self-consistent, and the rows are the rows the platform recorded: the rows hash cannot tell.
    assert check(path)[1] == "ok"
    assert check(path, expected_rows_sha256=record.rows_sha256)[1] == "ok"

    # The manifest hash the platform recorded can.
    result, kind, _ = check(path, expected_manifest_sha256=record.manifest_sha256)
    assert kind == "manifest" and "relabelled" in result.problem.detail, result.summary()
    tool = run_tool(path, "--expect-manifest-sha256", record.manifest_sha256, cwd=path.parent)
    assert tool.returncode == 1 and "relabelled" in tool.stdout, tool.stdout + tool.stderr

    # So does the platform itself, naming what was relabelled.
    with pytest.raises(CommandError) as failure:
        call_command("verify_export", str(path))
    assert failure.value.returncode == 1
    assert f"relabelled: its {label} entry differs from export {record.pk} as recorded" in str(failure.value)


def test_the_platform_keeps_the_whole_manifest_and_shows_it(world, filed, export_as, admin_as):
    path, record = export_as(world.coordinator, f"?election={world.election.code}")
    manifest = _manifest(ExportFile(path))
    assert [list(e) for e in record.manifest] == [[key, export.restore(r[2])] for key, r in manifest.items() if key != "manifest_sha256"]
    assert record.manifest_sha256 == manifest["manifest_sha256"][2]
    assert record.rows_sha256 == manifest["rows_sha256"][2] and record.row_count == 3

    # The auditors' export records page, scoped as before.
    page = admin_as(world.auditor).get(f"/admin/reports/exportrecord/{record.pk}/change/").content.decode()
    assert record.manifest_sha256 in page and "generated_by" in page and world.election.code in page
    listing = admin_as(world.auditor).get("/admin/reports/exportrecord/").content.decode()
    assert record.manifest_sha256 in listing
    assert admin_as(world.other_coordinator).get(f"/admin/reports/exportrecord/{record.pk}/change/").status_code == 302


def test_no_two_exports_share_a_rows_hash_not_even_empty_ones(world, filed, export_as):
    first_path, first = export_as(world.coordinator, EMPTY, name="a.csv")
    second_path, second = export_as(world.coordinator, EMPTY, name="b.csv")
    assert first.row_count == second.row_count == 0
    assert first.rows_sha256 != second.rows_sha256
    assert first.manifest_sha256 != second.manifest_sha256
    # Each file verifies against its own record, and not against the other's.
    assert check(first_path, expected_rows_sha256=first.rows_sha256)[1] == "ok"
    assert check(first_path, expected_rows_sha256=second.rows_sha256)[1] == "manifest"
    assert check(first_path, expected_manifest_sha256=first.manifest_sha256)[1] == "ok"
    assert check(first_path, expected_manifest_sha256=second.manifest_sha256)[1] == "manifest"


def test_moving_an_empty_manifest_to_another_export_id_is_found(world, filed, export_as):
    """The forger also rewrites export_id (and rows_sha256 to match it): the rows
    hash then differs from the one recorded for either export."""
    path, record = export_as(world.coordinator, EMPTY)
    other = ExportRecord.objects.create(requested_by=world.coordinator.user, source="url", started_at=record.started_at)
    f = ExportFile(path)
    digest = export.RowsDigest(str(other.pk), f.header)
    relabel(path, export_id=str(other.pk), rows_sha256=digest.hexdigest())
    assert check(path)[1] == "ok"
    assert check(path, expected_rows_sha256=record.rows_sha256)[1] == "manifest"
    with pytest.raises(CommandError, match=f"export {other.pk} never finished"):
        call_command("verify_export", str(path))


def test_an_honest_file_verifies_against_its_recorded_manifest(world, filed, export_as, capsys):
    path, record = export_as(world.auditor, f"?election={world.election.code}")
    result, kind, _ = check(path, expected_manifest_sha256=record.manifest_sha256)
    assert kind == "ok" and f"manifest_sha256: {record.manifest_sha256}" in result.summary()
    call_command("verify_export", str(path), "--expect-manifest-sha256", record.manifest_sha256)
    out = capsys.readouterr().out
    assert out.startswith("OK: 3 rows verified") and "filters, scope, requester and time match" in out


def _rows_digest(f: ExportFile, export_id) -> str:
    digest = verify_export.RowsDigest(export_id, f.header)
    for row in f.data:
        digest.update(export.restore(row[-1]))
    return digest.hexdigest()


def as_format_3(path) -> ExportFile:
    """The file as the platform wrote it before format /4: without the `source`
    column, so with every row hash and the rows hash computed without it."""
    f = ExportFile(path)
    export_id = _manifest(f)["export_id"][2]
    drop = f.header.index("source")
    for record in [f.header, *f.data]:
        del record[drop]
    digest = export.RowsDigest(export_id, f.header)
    for row in f.data:
        row[-1] = export.row_sha256(export_id, [export.restore(cell) for cell in row[:-1]])
        digest.update(row[-1])
    f.save()
    return relabel(path, format="election-reports-csv/3", rows_sha256=digest.hexdigest())


def test_a_format_3_file_without_the_source_column_still_verifies(world, filed, export_as):
    path, _record = export_as(world.auditor, f"?election={world.election.code}")
    assert check(path)[1] == "ok"
    f = as_format_3(path)
    assert "source" not in f.header and len(f.header) == len(export.COLUMNS) - 1
    result, kind, _ = check(path)
    assert kind == "ok" and result.rows == 3, result.summary()
    tool = run_tool(path, cwd=path.parent)
    assert tool.returncode == 0 and tool.stdout.startswith("OK: 3 rows verified"), tool.stdout + tool.stderr
    # The format names its header: a /3 file with /4's columns, or the reverse, is refused.
    relabel(path, format=export.FORMAT)
    assert check(path)[1:] == ("altered", 0)
    path, _record = export_as(world.auditor, f"?election={world.election.code}", name="current.csv")
    relabel(path, format="election-reports-csv/3")
    assert check(path)[1:] == ("altered", 0)


def test_a_format_1_file_still_verifies_and_a_rows_hash_without_the_export_id_does_not(world, filed, export_as):
    """Files exported before format /2 hash the rows without the export id (and,
    like /3, have no `source` column)."""
    path, _record = export_as(world.auditor, f"?election={world.election.code}")
    f = as_format_3(path)
    export_id = _manifest(f)["export_id"][2]
    legacy = _rows_digest(f, None)
    assert legacy != _rows_digest(f, export_id)

    # Before /3, a chain per election (one organization's rows are one election's
    # chain), and neither the public key nor checkpoints in the manifest.
    f.records = [r for r in f.records if not (r[0] == "#manifest" and r[1] in ("public_key", "checkpoints"))]
    f.save()
    chains = json.loads(_manifest(f)["chains"][2])
    per_election = [{k: v for k, v in c.items() if k not in ("organization", "organization_id", "kind")} for c in chains]
    relabel(path, chains=json.dumps(per_election, sort_keys=True), format="election-reports-csv/2")
    assert check(path)[1] == "ok"
    relabel(path, rows_sha256=legacy)  # a /2 file hashed the /1 way
    assert check(path)[1:] == ("manifest", None)
    relabel(path, format="election-reports-csv/1")
    assert check(path)[1] == "ok"
