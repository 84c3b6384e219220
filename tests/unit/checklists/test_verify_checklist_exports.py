"""verify_export on the checklist exports (/exports/results.csv and
/exports/checklists.csv): OK for the file as served, and refused, naming the
row or the manifest entry, for an edited cell, a removed row and a relabelled
manifest; the stand-alone tool and the management command alike."""

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from checklists import results_columns
from checklists.services import exports
from reports import signing
from tools import verify_export

from .filing import CHECKLISTS, checklist_payload, forms_load

TOOL = Path(__file__).resolve().parents[3] / "tools" / "verify_export.py"
STATIONS = ("02001", "05001", "13001")
URLS = {"results": ("/exports/results.csv", {}), "checklists": ("/exports/checklists.csv", {"form": "counting"})}


@pytest.fixture
def filed(world, as_user, django_capture_on_commit_callbacks):
    forms_load(world.election)
    for station in STATIONS:
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(world.observer).post(CHECKLISTS, checklist_payload(world, station=station), format="json")
        assert response.status_code == 201, response.json()
    return world


def download(world, admin_as, kind, tmp_path) -> Path:
    url, params = URLS[kind]
    response = admin_as(world.coordinator).get(url, {"election": world.election.code, **params})
    assert response.status_code == 200
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def records(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def save(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def platform_key() -> bytes:
    return verify_export.read_public_key(signing.public_key_pem())


def test_the_tools_column_names_are_the_exports():
    assert verify_export.SUBMISSION_IDENTITY == exports.IDENTITY_NAMES
    assert verify_export.SUBMISSION_INTEGRITY == exports.INTEGRITY_NAMES
    fixed = [c.name for c in results_columns.SAMPLE + results_columns.FIGURES]
    assert verify_export.RESULTS_FIXED == fixed
    assert (verify_export.RESULTS_FORMAT, verify_export.CHECKLISTS_FORMAT) == (results_columns.FORMAT, exports.CHECKLISTS_FORMAT)


@pytest.mark.parametrize("kind", ["results", "checklists"])
def test_the_export_as_served_verifies_with_its_signed_checkpoints_and_against_the_platform(filed, admin_as, kind, tmp_path, capsys):
    path = download(filed, admin_as, kind, tmp_path)
    result = verify_export.verify(str(path), public_key=platform_key())
    assert result.ok, result.summary()
    assert result.rows == 3
    summary = result.summary()
    assert "complete from the first report" in summary and "1 signed checkpoint(s) checked" in summary
    assert "content_sha256 cannot be recomputed from this file" in summary
    call_command("verify_export", str(path))
    assert "matches the export recorded by the platform" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["results", "checklists"])
def test_an_edited_cell_is_refused_naming_the_row_and_the_submission(filed, admin_as, kind, tmp_path):
    path = download(filed, admin_as, kind, tmp_path)
    rows = records(path)
    column = rows[0].index("q_assessment" if kind == "checklists" else "ballots_cast")
    rows[2][column] = "bad" if kind == "checklists" else "700"
    result = verify_export.verify(str(save(path, rows)), public_key=platform_key())
    assert not result.ok
    assert str(result.problem).startswith(f"row 2 (line 3, submission {rows[2][0]}) was altered: a cell was changed")
    with pytest.raises(CommandError, match="row 2 .* was altered"):
        call_command("verify_export", str(path))


def test_an_edited_content_hash_breaks_the_chain_link(filed, admin_as, tmp_path):
    path = download(filed, admin_as, "results", tmp_path)
    rows = records(path)
    rows[3][rows[0].index("content_sha256")] = hashlib.sha256(b"other answers").hexdigest()
    result = verify_export.verify(str(save(path, rows)))
    assert not result.ok and "row 3" in str(result.problem) and "content hash" in str(result.problem)


@pytest.mark.parametrize("kind", ["results", "checklists"])
def test_a_removed_row_is_refused_naming_it(filed, admin_as, kind, tmp_path):
    path = download(filed, admin_as, kind, tmp_path)
    rows = records(path)
    del rows[2]
    result = verify_export.verify(str(save(path, rows)), public_key=platform_key())
    assert not result.ok
    assert str(result.problem).startswith("row 2 (line 3) was removed: row 2 is missing")
    out = subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "row 2 is missing" in out.stdout


@pytest.mark.parametrize("kind", ["results", "checklists"])
def test_a_relabelled_manifest_is_refused_naming_the_entry(filed, admin_as, kind, tmp_path):
    path = download(filed, admin_as, kind, tmp_path)
    trusted = {r[1]: r[2] for r in records(path) if r[0] == "#manifest"}["manifest_sha256"]
    rows = records(path)
    manifest = [r for r in rows if r[0] == "#manifest"]
    scope = next(r for r in manifest if r[1] == "scope")
    scope[2] = "all organizations"
    result = verify_export.verify(str(save(path, rows)))
    assert not result.ok and "a manifest entry was edited" in str(result.problem)

    # A forger who also recomputes the manifest's hash: self-consistent, refused against the record.
    manifest[-1][2] = verify_export.manifest_sha256([(r[1], verify_export.restore(r[2])) for r in manifest[:-1]])
    save(path, rows)
    assert verify_export.verify(str(path)).ok
    result = verify_export.verify(str(path), expected_manifest_sha256=trusted)
    assert not result.ok and "relabelled" in str(result.problem)
    with pytest.raises(CommandError, match="relabelled: its scope entry differs"):
        call_command("verify_export", str(path))


def as_format_1(path: Path) -> Path:
    """The file as the platform wrote it before /2: the identity columns
    without `source`, every row hash, the rows hash and the manifest's hash
    computed without it."""
    rows = records(path)
    drop = rows[0].index("source")
    manifest = [r for r in rows if r[0] == "#manifest"]
    entries = {r[1]: r for r in manifest}
    export_id = entries["export_id"][2]
    data = [r for r in rows[1:] if r[0] != "#manifest"]
    for record in [rows[0], *data]:
        del record[drop]
    digest = verify_export.RowsDigest(export_id, rows[0])
    for row in data:
        row[-1] = verify_export.row_sha256(export_id, [verify_export.restore(c) for c in row[:-1]])
        digest.update(row[-1])
    entries["rows_sha256"][2] = digest.hexdigest()
    entries["format"][2] = entries["format"][2].replace("/2", "/1")
    manifest[-1][2] = verify_export.manifest_sha256([(r[1], verify_export.restore(r[2])) for r in manifest[:-1]])
    return save(path, rows)


@pytest.mark.parametrize("kind", ["results", "checklists"])
def test_each_row_says_its_door_and_a_format_1_file_still_verifies(filed, admin_as, kind, tmp_path):
    path = download(filed, admin_as, kind, tmp_path)
    header = records(path)[0]
    assert header[len(exports.IDENTITY_NAMES) - 2 : len(exports.IDENTITY_NAMES)] == ["received_at_utc", "source"]
    assert [row[header.index("source")] for row in records(path)[1:4]] == ["api"] * 3  # filed through the API
    as_format_1(path)
    result = verify_export.verify(str(path), public_key=platform_key())
    assert result.ok and result.rows == 3, result.summary()
    # The format names its header: a /1 file labelled /2 is refused.
    rows = records(path)
    manifest = [r for r in rows if r[0] == "#manifest"]
    next(r for r in manifest if r[1] == "format")[2] = RESULTS_OR_CHECKLISTS[kind]
    manifest[-1][2] = verify_export.manifest_sha256([(r[1], verify_export.restore(r[2])) for r in manifest[:-1]])
    result = verify_export.verify(str(save(path, rows)))
    assert not result.ok and str(result.problem).startswith("the header (line 1) was altered")


RESULTS_OR_CHECKLISTS = {"results": verify_export.RESULTS_FORMAT, "checklists": verify_export.CHECKLISTS_FORMAT}


def test_a_file_resigned_with_another_key_is_refused(filed, admin_as, tmp_path):
    path = download(filed, admin_as, "checklists", tmp_path)
    other = bytes(32)  # not the platform's key
    result = verify_export.verify(str(path), public_key=other)
    assert not result.ok and "not the platform's key" in str(result.problem)
    assert json.loads({r[1]: r[2] for r in records(path) if r[0] == "#manifest"}["checkpoints"])


OPENING = {
    "observers_admitted": True, "commission_members_total": 9, "commission_members_present": 9, "unauthorized_present": False,
    "unauthorized_interfering": False, "voter_list_present": True, "ballots_counted": True, "video_camera_working": True,
    "ballot_box_shown_empty": False, "ballot_box_sealed": True, "opened_on_time": True, "assessment": "good",
}  # fmt: skip


def test_a_file_that_skips_positions_of_its_chain_says_which_links_it_could_not_check(
    filed, as_user, admin_as, django_capture_on_commit_callbacks, tmp_path, capsys
):
    for payload in (checklist_payload(filed, form="opening", answers=OPENING), checklist_payload(filed, station=STATIONS[0])):
        with django_capture_on_commit_callbacks(execute=True):
            assert as_user(filed.observer).post(CHECKLISTS, payload, format="json").status_code == 201
    path = download(filed, admin_as, "results", tmp_path)  # positions 1-3 and 5: the opening checklist is position 4
    result = verify_export.verify(str(path), public_key=platform_key())
    assert result.ok and result.rows == 4, result.summary()
    summary = result.summary()
    assert "positions 1..5, not contiguous from the first report" in summary
    assert "1 row(s) follow a chain position that is not in this file" in summary
    assert "the file does not hold its chain from the first report" in summary
    call_command("verify_export", str(path))  # the platform recomputes the skipped link
    assert "every chain link checked against the platform" in capsys.readouterr().out
