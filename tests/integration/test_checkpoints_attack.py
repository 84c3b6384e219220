"""The issue's attack on PostgreSQL (#12 item 2): rewrite a report's
description, re-hash it and re-link its chain and head in the database. The
triggers refuse it to the application's SQL; a database superuser who turns
them off for the session gets it done, and the next export (formatted by
PostgreSQL's COPY, signed at its own head) verifies on its own, but not
against the checkpoint an auditor kept from before."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from reports import signing
from reports.services.checkpoints import checkpoints_for_moved_chains
from tests.filing import file_report
from tests.unit.reports.exports.test_checkpoints import _rewrite_and_relink

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"


def test_a_rewrite_is_refused_by_the_database_and_caught_by_a_kept_checkpoint(world, as_user, admin_as, tmp_path):
    reports = [file_report(world, description=f"Report {n}: ballots stuffed.") for n in range(1, 5)]
    checkpoints_for_moved_chains()
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps(as_user(world.auditor).get(f"/api/v1/checkpoints/?election={world.election.code}").json()))
    key = tmp_path / "key.pem"
    key.write_text(signing.public_key_pem())

    with pytest.raises(DatabaseError), transaction.atomic():
        _rewrite_and_relink(reports[1], "Report 2: nothing happened.")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # a superuser's way around triggers
        _rewrite_and_relink(reports[1], "Report 2: nothing happened.")
    file_report(world)

    response = admin_as(world.auditor).get(f"/exports/reports.csv?election={world.election.code}")
    path = tmp_path / "reports.csv"
    path.write_bytes(b"".join(response.streaming_content))
    assert "Report 2: nothing happened." in path.read_text(encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-I", str(TOOL), str(path), "--public-key", str(key)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run(
        [sys.executable, "-I", str(TOOL), str(path), "--public-key", str(key), "--checkpoint", str(kept)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and f"row 4 (line 5, report {reports[3].pk}) disagrees with a signed checkpoint" in run.stdout
