"""Races on real processes: 100 simultaneous submissions under one client_uuid
(same content: one report; different content: 409s), and two workers
processing the same report at the same moment (one result)."""

import subprocess
import sys
import threading
import uuid
from collections import Counter

import pytest

from reports.models import IncidentReport, ReportEvent
from roster.tokens import token_issue
from testkit.http import post_json
from testkit.processes import ROOT, child_env, free_port, gunicorn, private_broker_env, start_worker, stop, wait_for
from tests.conftest import report_payload
from tests.integration.faults.conftest import _connect, blocked_on_flags, flag_table_locked

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CLIENTS = 100


def _race(base: str, token: str, payloads: list[dict]) -> list:
    barrier = threading.Barrier(len(payloads))
    answers = [None] * len(payloads)

    def send(i):
        barrier.wait()
        answers[i] = post_json(base, "/api/v1/reports/", payloads[i], token=token, timeout=120)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_100_concurrent_submissions_with_one_client_uuid(world, tmp_path, record_property):
    token = token_issue(user=world.observer.user)[1]
    env = child_env(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")  # intake only
    same = report_payload(world)
    conflicting_uuid = str(uuid.uuid4())
    different = [report_payload(world, client_uuid=conflicting_uuid, description=f"Version {i}") for i in range(CLIENTS)]
    with gunicorn(tmp_path / "gunicorn.log", env=env, workers=2, threads=10) as base:
        same_answers = _race(base, token, [same] * CLIENTS)
        different_answers = _race(base, token, different)

    same_statuses = Counter(a.status for a in same_answers)
    assert same_statuses == {201: 1, 200: CLIENTS - 1}, same_statuses
    assert len({a.json()["id"] for a in same_answers}) == 1
    assert IncidentReport.objects.filter(client_uuid=same["client_uuid"]).count() == 1

    different_statuses = Counter(a.status for a in different_answers)
    assert different_statuses == {201: 1, 409: CLIENTS - 1}, different_statuses
    winner = next(a.json() for a in different_answers if a.status == 201)
    assert {a.json()["report"] for a in different_answers if a.status == 409} == {winner["id"]}
    stored = IncidentReport.objects.get(client_uuid=conflicting_uuid)
    assert stored.description == winner["description"]
    assert ReportEvent.objects.filter(action="submitted").count() == 2
    record_property("same_content", dict(same_statuses))
    record_property("different_content", dict(different_statuses))
    print(f"\n100 racing submissions: same content {dict(same_statuses)}, different content {dict(different_statuses)}")


def _waiting_on_locks() -> int:
    with _connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def test_two_workers_processing_the_same_report_at_once_give_one_result(world, private_redis, tmp_path):
    env = private_broker_env(private_redis.url())
    token = token_issue(user=world.observer.user)[1]
    with gunicorn(tmp_path / "gunicorn.log", env=env) as base:
        answer = post_json(base, "/api/v1/reports/", report_payload(world, category="ballot_stuffing"), token=token)
    assert answer.status == 201
    report_id = answer.json()["id"]  # enqueued on commit; no worker is running yet
    workers = []
    try:
        with flag_table_locked():
            workers = [start_worker(tmp_path / f"worker-{n}.log", concurrency=1, name=f"twin{n}", extra_env=env) for n in range(2)]
            # A second delivery of the same report, the way the sweeper would send it.
            enqueue = f"from reports.enqueue import enqueue_processing; assert enqueue_processing({report_id!r})"
            subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue], cwd=ROOT, env=env, check=True, capture_output=True)
            # One worker is inside the pipeline transaction, held on the flags table; the
            # other waits for that report's row lock. Both are processing it right now.
            wait_for(lambda: blocked_on_flags() == 1 and _waiting_on_locks() == 2, timeout=60, message="both workers on the report")
        # Each worker ran the report's processing once (either may also run its alerts task).
        wait_for(lambda: all(_processing_runs(w.log_text()) == 1 for w in workers), timeout=60, message="both tasks to finish")
    finally:
        for worker in workers:
            stop(worker.proc)

    report = IncidentReport.objects.get(pk=report_id)
    # The second worker's claim waited for the first one's row lock, then found the work done.
    assert report.state == "accepted" and report.processing_attempts == 1
    assert list(report.flags.values_list("code", flat=True)) == ["critical_category", "late_filing"]  # the test election is in 2021
    actions = Counter(ReportEvent.objects.filter(report_id=report_id).values_list("action", flat=True))
    assert actions == {"submitted": 1, "processed": 1, "triage": 1}


def _processing_runs(log: str) -> int:
    return sum(1 for line in log.splitlines() if "reports.tasks.process_report[" in line and "succeeded" in line)
