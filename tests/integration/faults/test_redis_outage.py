"""Redis stopped while 500 reports are submitted through the API, then started
again empty (it keeps nothing on disk): every submission is answered 201, and
after recovery the beat sweeper gets every report processed, none lost, none
processed twice."""

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db.models import Count, Q

from reports.models import IncidentReport, ReportEvent
from roster.tokens import token_issue
from testkit.factories import ALMATY
from testkit.http import post_json
from testkit.processes import gunicorn, private_broker_env, start_beat, start_worker, stop, stop_beat, wait_for
from tests.conftest import report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SUBMISSIONS = 500
CLIENTS = 8


def test_redis_down_during_500_submissions_then_back_empty(world, private_redis, tmp_path, record_property):
    env = private_broker_env(
        private_redis.url(),
        SWEEPER_INTERVAL_SECONDS=3,
        SWEEPER_STUCK_AFTER_SECONDS=5,
        CELERY_TASK_TIME_LIMIT=4,
        CELERY_TASK_SOFT_TIME_LIMIT=3,
    )
    submitters = [world.observer, world.observer_2, world.coordinator]
    tokens = [token_issue(user=o.user)[1] for o in submitters]
    # Spread over the voting day (a minute apart) so that the pipeline's
    # cross-report rules see realistic clusters, not 500 reports in one minute.
    opening = dt.datetime(2021, 1, 10, 7, 0, tzinfo=ALMATY)
    payloads = [
        (
            tokens[i % len(tokens)],
            report_payload(world, description=f"Outage report {i}", occurred_at=(opening + dt.timedelta(minutes=i)).isoformat()),
        )
        for i in range(SUBMISSIONS)
    ]

    worker = start_worker(tmp_path / "worker.log", concurrency=2, extra_env=env)
    beat = start_beat(tmp_path / "beat.log", env=env)
    try:
        with gunicorn(tmp_path / "gunicorn.log", env=env, workers=2, threads=4) as base:
            private_redis.stop()
            started = time.monotonic()
            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(lambda item: post_json(base, "/api/v1/reports/", item[1], token=item[0]), payloads))
            submit_seconds = time.monotonic() - started

            gunicorn_log = (tmp_path / "gunicorn.log").read_text(errors="replace")
            statuses = [a.status for a in answers]
            assert statuses == [201] * SUBMISSIONS, {s: statuses.count(s) for s in set(statuses)}
            ids = [a.json()["id"] for a in answers]
            assert len(set(ids)) == SUBMISSIONS
            # While the broker is down nothing can be processed: all wait in `received`.
            assert IncidentReport.objects.filter(pk__in=ids, state="received").count() == SUBMISSIONS

            private_redis.start()  # same port, empty
            restarted = time.monotonic()
            wait_for(
                lambda: IncidentReport.objects.filter(pk__in=ids, state="accepted").count() == SUBMISSIONS,
                timeout=300,
                interval=1,
                message="every report to be processed after Redis came back",
            )
            recovery_seconds = time.monotonic() - restarted
    finally:
        stop(worker.proc)
        stop_beat(beat)

    assert IncidentReport.objects.filter(client_uuid__in=[p["client_uuid"] for _, p in payloads]).count() == SUBMISSIONS
    per_report = IncidentReport.objects.filter(pk__in=ids).annotate(
        processed=Count("events", filter=Q(events__action="processed")), submitted=Count("events", filter=Q(events__action="submitted"))
    )
    assert {(r.processed, r.submitted) for r in per_report} == {(1, 1)}
    assert ReportEvent.objects.filter(report_id__in=ids, action="processed").count() == SUBMISSIONS
    # Each attempt on the dead broker costs its request ~BROKER_CONNECTION_TIMEOUT; after a
    # failure a web process leaves the broker alone for a while, so only a few requests pay it.
    broker_attempts = gunicorn_log.count("could not enqueue report")
    assert 1 <= broker_attempts < SUBMISSIONS // 5, broker_attempts
    deliveries = worker.log_text().count("] received")
    record_property("submit_seconds", round(submit_seconds, 1))
    record_property("recovery_seconds", round(recovery_seconds, 1))
    record_property("failed_broker_attempts", broker_attempts)
    print(
        f"\nRedis outage: {SUBMISSIONS}/{SUBMISSIONS} answered 201 in {submit_seconds:.1f}s with the broker down; "
        f"{broker_attempts} requests paid a failed broker attempt; all processed {recovery_seconds:.1f}s after restart; "
        f"{deliveries} task deliveries (duplicates are no-ops)"
    )
