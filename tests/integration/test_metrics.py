"""/metrics scraped over HTTP from gunicorn (two worker processes, their counts
added up through PROMETHEUS_MULTIPROC_DIR) on PostgreSQL and Redis, parsed as
the Prometheus exposition format: the queue's depth is the broker's, the lag is
the oldest waiting submission's, the request counters add up every worker's,
and nothing answers without the token."""

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from roster.tokens import token_issue
from testkit.http import get, post_json
from testkit.processes import child_env, gunicorn, wait_for
from tests.conftest import report_payload
from tests.integration.conftest import purge_queue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "scrape-token-0123456789abcdef"


def _samples(text: str) -> dict:
    """{(sample name, frozenset of labels): value}"""
    return {
        (s.name, frozenset(s.labels.items())): s.value for family in text_string_to_metric_families(text) for s in family.samples
    }


def test_a_scrape_of_gunicorn_reports_queue_depth_lag_states_and_requests(world, tmp_path):
    purge_queue()  # no worker runs here: what we submit stays in the queue
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = child_env(METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(multiproc))
    token = token_issue(user=world.observer.user)[1]
    with gunicorn(tmp_path / "gunicorn.log", env=env, workers=2) as base:
        assert get(base, "/metrics").status == 401
        assert get(base, "/metrics", headers={"Authorization": "Bearer wrong"}).status == 401
        for _ in range(3):
            assert post_json(base, "/api/v1/reports/", report_payload(world), token=token).status == 201
        # Each worker process publishes to the broker from its own thread after
        # the 201 (reports.enqueue.enqueue_processing_soon): scrape until all three are there.
        scrapes = []

        def scraped_three() -> bool:
            scrapes.append(get(base, "/metrics", headers={"Authorization": f"Bearer {TOKEN}", "Accept": "text/plain"}))
            return scrapes[-1].status == 200 and _samples(scrapes[-1].body.decode()).get(("elmon_queue_depth", frozenset())) == 3

        wait_for(scraped_three, timeout=10, message="the three reports in the queue")
        answer = scrapes[-1]
    assert answer.status == 200 and answer.headers.get("content-type", "").startswith("text/plain")
    samples = _samples(answer.body.decode())

    assert samples[("elmon_queue_depth", frozenset())] == 3
    reports_queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}.reports"  # config/queues.py
    assert samples[("elmon_queue_tasks", frozenset({("queue", reports_queue)}))] == 3
    assert samples[("elmon_queue_tasks", frozenset({("queue", f"{settings.CELERY_TASK_DEFAULT_QUEUE}.checkins")}))] == 0
    assert samples[("elmon_pipeline_waiting", frozenset())] == 3
    assert samples[("elmon_pipeline_lag_seconds", frozenset())] > 0
    assert samples[("elmon_submissions", frozenset({("kind", "incident"), ("state", "received")}))] == 3
    created = frozenset({("method", "POST"), ("route", "api:reports"), ("status", "201")})
    assert samples[("elmon_http_requests_total", created)] == 3  # whichever worker answered each
    assert samples[("elmon_http_requests_total", frozenset({("method", "GET"), ("route", "metrics"), ("status", "401")}))] == 2
    latency = frozenset({("method", "POST"), ("route", "api:reports")})
    assert samples[("elmon_http_request_duration_seconds_count", latency)] == 3
    assert samples[("elmon_http_request_duration_seconds_bucket", latency | {("le", "+Inf")})] == 3
    assert samples[("elmon_alerts_total", frozenset({("outcome", "failed")}))] == 0  # a placeholder, labelled as one
    assert samples[("elmon_cluster_refresh_pending", frozenset())] == 0


def test_metrics_are_off_without_a_token(world, tmp_path):
    with gunicorn(tmp_path / "gunicorn.log", env=child_env(METRICS_TOKEN="")) as base:
        assert get(base, "/metrics", headers={"Authorization": "Bearer "}).status == 404
