"""A Celery worker SIGKILLed in the middle of processing, again and again, on a
batch of reports: every report still ends accepted or rejected exactly once,
with no duplicate flags or audit events.

Each round holds the flags table locked (see `flag_table_locked`), waits until
a worker is stuck inside the pipeline's transaction (report claimed, row
locked, new state written but not committed), then kills it with SIGKILL,
alternating between the pool processes (the OOM killer's way: the parent sees
the loss and, with reject_on_worker_lost, requeues the message) and the whole
worker with its pool (a machine dying: the message stays unacknowledged in
Redis and the beat sweeper re-enqueues the report)."""

import datetime as dt
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from reports.models import IncidentReport, ReportEvent
from roster.tokens import token_issue
from testkit.factories import ALMATY
from testkit.http import post_json
from testkit.processes import gunicorn, private_broker_env, start_beat, start_worker, stop, stop_beat, wait_for
from tests.conftest import report_payload
from tests.integration.faults.conftest import blocked_on_flags, flag_table_locked

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KILLS = 12
BATCH = 24  # in three kinds with known outcomes


def _pool_children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry))
    return children


def _payload(world, kind: str) -> dict:
    if kind == "critical":
        return report_payload(world, category="ballot_stuffing")
    if kind == "plain":
        return report_payload(world)
    # Before the observation window opened: the pipeline must reject it.
    return report_payload(world, occurred_at=dt.datetime(2020, 11, 1, 10, 0, tzinfo=ALMATY).isoformat())


def test_worker_sigkilled_mid_processing_loses_nothing_and_duplicates_nothing(world, private_redis, tmp_path, record_property):
    env = private_broker_env(
        private_redis.url(),
        # A report killed this often would otherwise be parked as `failed` (the
        # poison-pill guard); here every kill is ours, so let it try on.
        PIPELINE_MAX_ATTEMPTS=1000,
        SWEEPER_INTERVAL_SECONDS=2,
        # The sweeper must wait longer than a task may run (settings refuse
        # anything else), so keep both short for the test.
        CELERY_TASK_TIME_LIMIT=10,
        CELERY_TASK_SOFT_TIME_LIMIT=8,
        SWEEPER_STUCK_AFTER_SECONDS=12,
    )
    token = token_issue(user=world.observer.user)[1]
    kinds = {}
    with gunicorn(tmp_path / "gunicorn.log", env=env) as base:
        for i in range(BATCH):
            kind = ("critical", "plain", "early")[i % 3]
            answer = post_json(base, "/api/v1/reports/", _payload(world, kind), token=token)
            assert answer.status == 201, answer.body
            kinds[answer.json()["id"]] = kind

    beat = start_beat(tmp_path / "beat.log", env=env)
    worker = None
    kills = Counter()
    try:
        for round_no in range(KILLS):
            with flag_table_locked():
                if worker is None or worker.proc.poll() is not None:
                    worker = start_worker(tmp_path / f"worker-{round_no}.log", concurrency=2, extra_env=env)
                wait_for(lambda: blocked_on_flags() >= 1, timeout=60, message="a worker stuck inside the pipeline transaction")
                if round_no % 2 == 0:
                    children = _pool_children(worker.proc.pid)
                    assert children, "the worker has no pool processes"
                    for pid in children:
                        os.kill(pid, signal.SIGKILL)
                    kills["pool process"] += 1
                else:
                    os.killpg(worker.proc.pid, signal.SIGKILL)
                    worker.proc.wait(timeout=10)
                    kills["whole worker"] += 1
            time.sleep(0.3)  # let a little work through between kills

        if worker is None or worker.proc.poll() is not None:
            worker = start_worker(tmp_path / "worker-final.log", concurrency=2, extra_env=env)
        wait_for(
            lambda: not IncidentReport.objects.filter(pk__in=kinds, state__in=["received", "processing"]).exists(),
            timeout=180,
            message="every report to reach a final state after the kills",
        )
    finally:
        if worker is not None:
            stop(worker.proc)
        stop_beat(beat)

    reports = {str(r.pk): r for r in IncidentReport.objects.filter(pk__in=kinds).prefetch_related("flags", "events")}
    assert len(reports) == BATCH
    for report_id, kind in kinds.items():
        report = reports[report_id]
        actions = Counter(e.action for e in report.events.all())
        flag_codes = [f.code for f in report.flags.all()]
        assert actions["submitted"] == 1 and actions["processed"] == 1, (report_id, actions)
        assert len(flag_codes) == len(set(flag_codes)), (report_id, flag_codes)
        if kind == "early":
            assert report.state == "rejected" and flag_codes == [], (report_id, report.state, flag_codes)
            assert "outside_observation_window" in [r["code"] for r in report.rejection_reasons]
        else:
            assert report.state == "accepted", (report_id, report.state, report.last_error)
        if kind == "critical":
            assert "critical_category" in flag_codes and report.triage_status == "escalated"
            assert actions["triage"] == 1, (report_id, actions)
        else:
            assert "critical_category" not in flag_codes and actions["triage"] == 0

    # The kills did land mid-processing: reports were claimed more than once.
    attempts = sum(r.processing_attempts for r in reports.values())
    assert attempts > BATCH
    assert sum(kills.values()) == KILLS >= 10
    assert ReportEvent.objects.filter(report_id__in=kinds, action="processed").count() == BATCH
    record_property("kills", dict(kills))
    record_property("processing_attempts", attempts)
    print(f"\nworker kills: {dict(kills)}; {BATCH} reports, {attempts} claims in all; every report final exactly once")
