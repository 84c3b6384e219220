"""The export on real PostgreSQL: rows streamed from COPY in chunks, and an
exported file checked by the real command-line tools in their own processes."""

import subprocess
import sys

import pytest

from reports.filters import ReportFilters
from reports.services.exports import reports_export
from testkit.processes import ROOT, child_env
from tests.filing import file_report

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_export_streams_from_copy_in_chunks(world, queue_of):
    queue_of(250, seed=1)
    stream = iter(reports_export(user=world.auditor.user, filters=ReportFilters(election=world.election.code), source="url", chunk_size=50))
    next(stream)  # header
    first = next(stream)
    assert first.count(b"\r\n") == 50  # rows leave as COPY hands them over, 50 at a time
    rest = b"".join(stream)
    assert b"#manifest,row_count,250\r\n" in rest


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_a_file_from_the_command_verifies_and_a_tampered_copy_fails(world, tmp_path, queue_of):
    file_report(world, description="Бюллетени вброшены; «Қазақстан».", photos=1)
    queue_of(120, seed=1)
    path = tmp_path / "reports.csv"

    exported = _run("manage.py", "export_reports", "--election", world.election.code, "--output", path, env=child_env())
    assert exported.returncode == 0, exported.stderr
    assert "100%" in exported.stderr and "121" in exported.stderr  # the progress bar

    standalone = _run("-I", ROOT / "tools" / "verify_export.py", path)
    assert standalone.returncode == 0 and standalone.stdout.startswith("OK: 121 rows verified"), standalone.stdout + standalone.stderr
    platform = _run("manage.py", "verify_export", path, env=child_env())
    assert platform.returncode == 0 and "matches the export recorded by the platform" in platform.stdout, platform.stderr

    lines = path.read_bytes().decode("utf-8").split("\r\n")
    row = next(i for i in range(40, len(lines)) if ",accepted," in lines[i])  # line i holds row i
    lines[row] = lines[row].replace(",accepted,", ",rejected,", 1)
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    standalone = _run("-I", ROOT / "tools" / "verify_export.py", path)
    assert standalone.returncode == 1 and f"FAILED: row {row} " in standalone.stdout and "was altered" in standalone.stdout
    platform = _run("manage.py", "verify_export", path, env=child_env())
    assert platform.returncode == 1 and f"row {row} " in platform.stderr
