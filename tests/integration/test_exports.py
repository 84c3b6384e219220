"""The triage console and the export on real PostgreSQL: rows streamed from COPY,
the queue's queries, two coordinators deciding at the same instant, and an
exported file checked by the real command-line tools in their own processes."""

import subprocess
import sys
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.filters import ReportFilters
from reports.models import ReportEvent
from reports.services import TriageConflict, report_decide
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


@pytest.mark.django_db
def test_queue_with_500_reports_on_postgresql(world, client, queue_of):
    queue_of(500, seed=1)
    client.force_login(world.coordinator.user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/reports/incidentreport/?triage_status=open&region=almaty")
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) <= 14
    counts = [q for q in sql if "COUNT(" in q.upper()]
    assert counts and all("LIMIT 10001" in q for q in counts)


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_deciding_at_the_same_instant(world):
    """Both loaded version v; both submit at once. One decision is saved, the
    other is refused; nothing is silently overwritten."""
    from testkit.factories import make_observer

    report = file_report(world)
    colleague = make_observer(world.coordinator.organization, "coordinator", "coordinator-2")
    version = report.triage_version
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, user, status):
        try:
            barrier.wait(timeout=10)
            report_decide(report_id=report.pk, actor=user, status=status, note=name, expected_version=version)
            outcomes[name] = "saved"
        except TriageConflict:
            outcomes[name] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", world.coordinator.user, "verified")),
        threading.Thread(target=decide, args=("b", colleague.user, "dismissed")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    report.refresh_from_db()
    assert report.triage_status == {"a": "verified", "b": "dismissed"}[winner]
    assert list(ReportEvent.objects.filter(report=report, action="triage").values_list("note", flat=True)) == [winner]


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
