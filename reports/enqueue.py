"""Handing work to the Celery workers, for services that must not import the
tasks (an adapter): the task is looked up by its registered name in the
Celery app's registry (`reports.apps` imports `reports.tasks` at start-up, so
every process has it). `delay` goes through the task itself, so the embedded
mode's eager setting still runs it in-process, after the caller's commit.

The broker back-off lives here too: each attempt on a dead broker costs the
caller about CELERY_BROKER_CONNECTION_TIMEOUT seconds, so after a failure this
process leaves the broker alone for BROKER_FAILURE_BACKOFF_SECONDS; reports
skipped meanwhile wait in `received` for the sweeper.
"""

import atexit
import logging
import os
import queue
import threading
import time

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

PROCESS_REPORT = "reports.tasks.process_report"
# The same work for a check-in, under its own name so that it is routed to its
# own queue (config/queues.py): a wave of check-ins never delays reports.
PROCESS_CHECKIN = "reports.tasks.process_checkin"
REFRESH_CLUSTER = "reports.tasks.refresh_cluster"

# Monotonic time until which this process does not try the broker again.
_broker_unavailable_until = 0.0


def enqueue_processing(report_id, kind: str | None = None) -> bool:
    """Hand a submission of `kind` (models.SubmissionKind) to the pipeline, on
    its kind's queue (check-ins on theirs; anything else, or an unknown kind, on
    the reports' queue, where any kind is processed correctly too). Never
    raises: if the broker is down the submission stays `received` and the
    sweeper enqueues it later."""
    global _broker_unavailable_until
    if time.monotonic() < _broker_unavailable_until:
        logger.info("broker recently unreachable; report %s left for the sweeper", report_id)
        return False
    try:
        current_app.tasks[PROCESS_CHECKIN if kind == "checkin" else PROCESS_REPORT].delay(str(report_id))
        return True
    except Exception:  # broker unreachable, connection reset, …
        _broker_unavailable_until = time.monotonic() + settings.BROKER_FAILURE_BACKOFF_SECONDS
        logger.warning("could not enqueue report %s; the sweeper will retry", report_id, exc_info=True)
        return False


class _Publisher:
    """One thread per process that hands reports to the broker in the
    background, in the order they came, so a request answers without waiting
    on the broker (a round trip and kombu's work: ~6 % of a report's time under
    load). What it has not published when the process dies stays `received`,
    and the sweeper enqueues it (reports.services.sweeper): no report is lost,
    one is late. At a normal exit it publishes what is left first (at most
    DRAIN_SECONDS)."""

    DRAIN_SECONDS = 5.0
    _STOP = object()

    def __init__(self):
        self.pid = os.getpid()
        self.pending: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="reports-enqueue", daemon=True)
        self.thread.start()
        atexit.register(self.drain)

    def _run(self) -> None:
        while (item := self.pending.get()) is not self._STOP:
            try:
                enqueue_processing(*item)
            except BaseException:  # never let one submission stop the thread: the sweeper has it
                logger.exception("publishing submission %s failed; the sweeper will enqueue it", item[0])

    def serves_this_process(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive()

    def drain(self) -> None:
        if self.pid == os.getpid() and self.thread.is_alive():
            self.pending.put(self._STOP)
            self.thread.join(self.DRAIN_SECONDS)


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def enqueue_processing_soon(report_id, kind: str | None = None) -> None:
    """Hand a submission to the pipeline without waiting on the broker: this
    process's publisher thread sends it to its kind's queue
    (`enqueue_processing`). In the embedded mode (eager tasks) it runs at once,
    in the caller, as before."""
    global _publisher
    if settings.CELERY_TASK_ALWAYS_EAGER:
        enqueue_processing(report_id, kind)
        return
    publisher = _publisher
    if publisher is None or not publisher.serves_this_process():  # first use, a forked child, or a dead thread
        with _publisher_lock:
            if _publisher is None or not _publisher.serves_this_process():
                _publisher = _Publisher()
            publisher = _publisher
    publisher.pending.put((report_id, kind))


# The alerts app's task (it builds on reports; reports never imports it).
RAISE_REPORT_ALERTS = "alerts.tasks.raise_report_alerts"


def enqueue_report_alerts(report_id) -> bool:
    """Ask the alerts app to alert the coordinators of a critical or failed
    report. Never raises and never waits on a dead broker: an alert lost here
    is raised by the alerts' beat sweep, which looks for recent critical and
    failed reports without one."""
    if time.monotonic() < _broker_unavailable_until:
        return False
    task = current_app.tasks.get(RAISE_REPORT_ALERTS)
    if task is None:  # the alerts app is not installed
        return False
    try:
        task.delay(str(report_id))
        return True
    except Exception:
        logger.warning("could not enqueue the alerts of report %s; the alert sweep will raise them", report_id, exc_info=True)
        return False


def enqueue_cluster_refresh(key: list[int], *, countdown: float) -> bool:
    """Hand a cluster's refresh ([organization, election, district]) to the
    workers, `countdown` seconds from now. Never raises: if the broker is down,
    the cluster stays pending and the sweeper enqueues it later."""
    global _broker_unavailable_until
    if time.monotonic() < _broker_unavailable_until:
        return False
    try:
        current_app.tasks[REFRESH_CLUSTER].apply_async(args=key, countdown=countdown)
        return True
    except Exception:
        _broker_unavailable_until = time.monotonic() + settings.BROKER_FAILURE_BACKOFF_SECONDS
        logger.warning("could not enqueue a cluster refresh; the sweeper will retry", exc_info=True)
        return False


def queue_depth() -> int | None:
    """Messages waiting in this deployment's task queues together (the broker's
    count; for Redis, the lists' lengths), or None without a broker or when it
    does not answer (the situation page and /metrics then say "unknown")."""
    depths = queue_depths()
    return None if depths is None else sum(depths.values())


def queue_depths() -> dict[str, int] | None:
    """{queue name: messages waiting} for each of this deployment's queues
    (config/queues.py), or None (see `queue_depth`)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            depths = {}
            for queue in settings.CELERY_TASK_QUEUES:
                # Kombu's Redis channel counts the queue's lists (its priority steps,
                # the key prefix) in `_size`; a passive declare would fail before a
                # worker bound the queue.
                if hasattr(channel, "_size"):
                    depths[queue.name] = int(channel._size(queue.name))
                else:
                    _, count, _ = channel.queue_declare(queue=queue.name, passive=True)
                    depths[queue.name] = int(count)
        return depths
    except Exception:
        logger.info("queue depth unavailable", exc_info=True)
        return None
