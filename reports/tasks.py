"""Celery tasks: thin adapters that take ids and call a service.

`process_report` is safe to run any number of times (the service claims the
row and returns early when the work is done), acknowledged late so a killed
worker's report is redelivered, and retried with capped exponential backoff on
transient errors only (database or broker connectivity, a deadlock). Every
countdown stays below the broker's visibility timeout (config.settings checks
it at start-up), so Redis never redelivers a message that is only waiting."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .enqueue import PROCESS_CHECKIN, PROCESS_REPORT, REFRESH_CLUSTER
from .services.checkpoints import checkpoints_for_moved_chains
from .services.clusters import ClusterKey, cluster_refresh, clusters_sweep_stale
from .services.pipeline import report_mark_error, report_process
from .services.sweeper import reports_sweep_stuck

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


PROCESSING = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": settings.PIPELINE.retry_backoff_max,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name=PROCESS_REPORT, **PROCESSING)
def process_report(self, report_id: str) -> str:
    """An incident report or a checklist (the reports' queue); any kind is
    processed correctly here (the service reads the kind)."""
    return _process(self, report_id)


@shared_task(name=PROCESS_CHECKIN, **PROCESSING)
def process_checkin(self, report_id: str) -> str:
    """A check-in: the same service, on the check-ins' own queue (config/queues.py)."""
    return _process(self, report_id)


def _process(task, report_id: str) -> str:
    try:
        outcome = report_process(report_id=report_id)
    except TRANSIENT_ERRORS as exc:
        logger.warning("transient error processing report %s (attempt %s): %s", report_id, task.request.retries + 1, type(exc).__name__)
        try:
            report_mark_error(report_id=report_id, error=f"{type(exc).__name__} (will retry)")
        except TRANSIENT_ERRORS:
            pass
        raise
    except Exception as exc:
        # A bug or bad reference data: retrying at once would fail the same way.
        # The report stays `processing`; the sweeper re-enqueues it later and,
        # after PIPELINE_MAX_ATTEMPTS, marks it `failed` for a coordinator.
        # Only the exception type is recorded: messages may quote report content.
        logger.exception("error processing report %s", report_id)
        try:
            report_mark_error(report_id=report_id, error=f"{type(exc).__name__} (see the worker log)")
        except Exception:  # the database may be what failed
            logger.warning("could not record the error of report %s", report_id)
        raise
    return outcome.state


@shared_task(
    name=REFRESH_CLUSTER,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=settings.PIPELINE.retry_backoff_max,
    retry_jitter=True,
    max_retries=8,
)
def refresh_cluster(organization_id: int, election_id: int, district_id: int) -> int:
    """A cluster's batched flag refresh; safe to run any number of times (a
    run finding no refresh pending does nothing). Any other error leaves the
    cluster pending for the sweeper."""
    outcome = cluster_refresh(key=ClusterKey(organization_id, election_id, district_id))
    return outcome.members


@shared_task(acks_late=True)
def sweep_stuck_reports() -> int:
    enqueued = reports_sweep_stuck()
    if enqueued:
        logger.info("sweeper re-enqueued %d stuck report(s)", enqueued)
    clusters = clusters_sweep_stale()
    if clusters:
        logger.info("sweeper re-enqueued %d stale cluster refresh(es)", clusters)
    return enqueued + clusters


@shared_task(acks_late=True)
def checkpoint_chains() -> int:
    made = checkpoints_for_moved_chains()
    if made:
        logger.info("signed %d checkpoint(s)", made)
    return made
