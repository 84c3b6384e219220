"""The issue's attack on real processes (#12 item 2): PostgreSQL, a gunicorn
server, a Celery worker and `celery beat` signing checkpoints every second
(CHECKPOINT_INTERVAL_SECONDS). A coordinator keeps the checkpoints the API
lists (another organization's coordinator sees none of them), downloads the
export with an API token and verifies it with the stand-alone tool: OK. Then
an insider rewrites a report's description, re-hashes it and re-links its
chain and head in the database: the triggers refuse it to the application's
SQL; a database superuser who turns them off for the session gets it done, and
the next export (formatted by PostgreSQL's COPY, signed at its own head)
verifies on its own, but not against the checkpoints kept from before, and the
verifier names the rewritten row."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from reports import signing
from reports.models import ChainHead, Checkpoint, IncidentReport
from roster.tokens import token_issue
from testkit.http import get, request
from testkit.processes import child_env, start_beat, stop_beat, wait_for
from tests.filing import file_report
from tests.unit.reports.exports.test_checkpoints import _rewrite_and_relink

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"


def _checkpointed(world, organization, seq: int) -> bool:
    return Checkpoint.objects.filter(election=world.election, organization=organization, kind="incident", seq=seq).exists()


def _verify(path: Path, *options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), str(path), *map(str, options)], capture_output=True, text=True, cwd="/", timeout=120
    )


def _export(base, token: str, election: str, path: Path) -> Path:
    answer = request(base, "GET", f"/exports/reports.csv?election={election}", headers={"Authorization": f"Token {token}"}, timeout=60)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv"), answer.body[:500]
    path.write_bytes(answer.body)
    return path


def test_a_rewrite_is_refused_by_the_database_and_named_by_the_checkpoints_beat_signed(world, gunicorn_server, celery_worker, tmp_path):
    base, code = gunicorn_server, world.election.code
    mine, theirs = world.observer.organization, world.other_observer.organization
    beat = start_beat(tmp_path / "beat.log", env=child_env(CHECKPOINT_INTERVAL_SECONDS="1", SWEEPER_INTERVAL_SECONDS="3600"))
    try:
        # Beat signs after each report: the auditor's saved list holds positions 1..4.
        reports = []
        for n in range(1, 5):
            reports.append(file_report(world, description=f"Report {n}: ballots stuffed."))
            wait_for(lambda n=n: _checkpointed(world, mine, n), timeout=30, message=f"beat's checkpoint at position {n}")
        file_report(world, observer=world.other_observer, description="The other mission's report.")
        wait_for(lambda: _checkpointed(world, theirs, 1), timeout=30, message="the other organization's checkpoint")
    finally:
        stop_beat(beat)
    assert "reports.tasks.checkpoint_chains" in celery_worker.log_text()  # signed by the worker, sent by beat

    key = tmp_path / "evidence-public-key.pem"
    served = get(base, "/evidence/public-key.pem", headers={"Accept": "*/*"})
    assert served.status == 200 and served.body.decode() == signing.public_key_pem()
    key.write_bytes(served.body)

    coordinator = token_issue(user=world.coordinator.user)[1]
    listed = get(base, f"/api/v1/checkpoints/?election={code}", token=coordinator)
    assert listed.status == 200, listed.body
    assert [(c["organization"], c["seq"], c["head"]) for c in listed.json()["results"]] == [
        (mine.pk, r.chain_seq, IncidentReport.objects.get(pk=r.pk).chain_sha256) for r in reports
    ]
    kept = tmp_path / "kept.json"
    kept.write_bytes(listed.body)
    other = get(base, f"/api/v1/checkpoints/?election={code}", token=token_issue(user=world.other_coordinator.user)[1])
    assert other.status == 200 and {c["organization"] for c in other.json()["results"]} == {theirs.pk}

    honest = _export(base, coordinator, code, tmp_path / "honest.csv")
    run = _verify(honest, "--public-key", key, "--checkpoint", kept)
    assert run.returncode == 0 and run.stdout.startswith("OK: 4 rows verified"), run.stdout + run.stderr

    # The insider: the application's SQL is refused by the triggers (migration reports 0013)...
    with pytest.raises(DatabaseError, match="is evidence: its submitted fields never change"), transaction.atomic():
        _rewrite_and_relink(reports[1], "Report 2: nothing happened.")
    assert IncidentReport.objects.get(pk=reports[1].pk).description == "Report 2: ballots stuffed."
    # ...a database superuser turns them off for the transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        _rewrite_and_relink(reports[1], "Report 2: nothing happened.")
    assert ChainHead.objects.get(election=world.election, organization=mine, kind="incident").sha256 != reports[3].chain_sha256
    file_report(world)  # the chain goes on; the new export signs its own, rewritten, head (position 5)

    rewritten = _export(base, coordinator, code, tmp_path / "rewritten.csv")
    assert "Report 2: nothing happened." in rewritten.read_text(encoding="utf-8")
    run = _verify(rewritten, "--public-key", key)
    assert run.returncode == 0, run.stdout + run.stderr  # self-consistent, and signed at its own head
    run = _verify(rewritten, "--public-key", key, "--checkpoint", kept)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"row 2 (line 3, report {reports[1].pk}) disagrees with a signed checkpoint" in run.stdout
    assert "rewritten after that checkpoint, at one of positions 2..2" in run.stdout
