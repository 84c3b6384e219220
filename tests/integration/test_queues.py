"""The work queues (config/queues.py) on the real broker and a real worker:
intake puts a check-in and a report each on its own queue of this checkout
(named after CELERY_TASK_DEFAULT_QUEUE), the sweeper puts them back on the same
ones, and a worker started the way the tests and the docs start it consumes
every queue, so both reach their final state; reports are taken before the
check-ins waiting with them (the queues' priority order)."""

import pytest
from django.conf import settings

from reports.enqueue import queue_depths
from reports.models import ReportEvent, Submission
from reports.services.sweeper import reports_sweep_stuck
from testkit.processes import start_worker, stop, wait_for
from tests.filing import file_checkin, file_report
from tests.integration.conftest import purge_queue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEFAULT = settings.CELERY_TASK_DEFAULT_QUEUE


def waiting() -> dict[str, int]:
    """{queue suffix ("" for the default queue): messages} of the queues holding any."""
    return {name.removeprefix(DEFAULT).lstrip("."): n for name, n in queue_depths().items() if n}


def test_a_check_in_and_a_report_go_to_their_own_queues_and_a_worker_takes_both(world, tmp_path):
    purge_queue()  # no worker yet: what intake enqueues stays in the broker
    checkin = file_checkin(world, process=False)
    report = file_report(world, process=False)
    # Intake publishes after the answer, from a background thread (reports.enqueue).
    wait_for(lambda: waiting() == {"checkins": 1, "reports": 1}, timeout=10, message="intake to publish both")

    # Lost by the broker and found by the sweeper: each goes back onto its kind's queue.
    purge_queue()
    assert reports_sweep_stuck(older_than_seconds=0) == 2
    assert waiting() == {"checkins": 1, "reports": 1}

    worker = start_worker(tmp_path / "worker.log")
    try:
        wait_for(
            lambda: Submission.objects.filter(pk__in=[checkin.pk, report.pk], state="accepted").count() == 2,
            timeout=60,
            message="the worker to process the check-in and the report",
        )
        wait_for(lambda: not waiting(), timeout=30, message="the queues to empty")
    finally:
        stop(worker.proc)
    for submission in (checkin, report):  # each processed once, though enqueued twice
        assert ReportEvent.objects.filter(report_id=submission.pk, action="processed").count() == 1
    log = worker.log_text()
    assert "reports.tasks.process_checkin[" in log and "reports.tasks.process_report[" in log


def test_a_worker_takes_reports_before_the_check_ins_waiting_with_them(world, tmp_path):
    purge_queue()
    checkins = [file_checkin(world, process=False) for _ in range(4)]
    reports = [file_report(world, process=False) for _ in range(2)]  # filed last
    wait_for(lambda: waiting() == {"checkins": 4, "reports": 2}, timeout=10, message="intake to publish all six")
    worker = start_worker(tmp_path / "worker.log", concurrency=1)
    try:
        ids = [s.pk for s in checkins + reports]
        wait_for(lambda: Submission.objects.filter(pk__in=ids, state="accepted").count() == 6, timeout=60, message="the worker")
    finally:
        stop(worker.proc)
    processed = dict(Submission.objects.filter(pk__in=ids).values_list("pk", "processed_at"))
    # Taken in turn, a check-in would come between the two reports.
    assert max(processed[r.pk] for r in reports) < min(processed[c.pk] for c in checkins)
