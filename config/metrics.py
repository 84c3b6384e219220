"""`GET /metrics`: the Prometheus exposition of the platform's health, for
operators (README, "Configuration"; docs/deployment.md says what to alert on).

Off (404) unless `METRICS_TOKEN` is set; then only `Authorization: Bearer
<METRICS_TOKEN>` gets it (anything else: 401). The figures hold no personal
data: counts, ages and durations only.

- computed at each scrape (the same whichever process answers): the task
  queue's depth (the broker's count of this deployment's queue), the pipeline's
  lag (age of the oldest submission still received or processing), clusters
  waiting for their flag refresh and the oldest one's age, submissions by kind
  and state;
- counted by `RequestMetricsMiddleware` in each web process: requests by
  method, route and status, and their latency as a histogram. Under gunicorn
  with several workers set `PROMETHEUS_MULTIPROC_DIR` (an empty directory,
  emptied at each start) so the scrape adds up every worker's counts; without
  it, each scrape sees one worker's;
- placeholders, always 0 until the platform sends alerts, webhooks or SMS
  (their HELP says so), so dashboards and alerts can be wired now.
"""

import hmac
import os
import time

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from reports.enqueue import queue_depths
from reports.models import Submission
from reports.pipeline_reads import pipeline_health

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter("elmon_http_requests", "HTTP requests answered, by method, route and status.", ["method", "route", "status"])
LATENCY = Histogram(
    "elmon_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PLACEHOLDER = "Placeholder: the platform sends no {} yet; always 0."
ALERTS = Counter("elmon_alerts", PLACEHOLDER.format("alerts"), ["outcome"])
WEBHOOKS = Counter("elmon_webhook_deliveries", PLACEHOLDER.format("webhooks"), ["outcome"])
SMS = Counter("elmon_sms_deliveries", PLACEHOLDER.format("SMS"), ["outcome"])
for counter in (ALERTS, WEBHOOKS, SMS):
    for outcome in ("sent", "failed"):
        counter.labels(outcome=outcome)


class PipelineCollector:
    """The figures read at scrape time (a few aggregate queries and one broker call)."""

    def collect(self):
        health = pipeline_health(timezone.now())
        depths = queue_depths()
        depth = None if depths is None else sum(depths.values())
        yield _gauge("elmon_queue_depth", "Tasks waiting in the broker queues, all together (NaN when the broker does not answer).", depth)
        by_queue = GaugeMetricFamily("elmon_queue_tasks", "Tasks waiting in each broker queue (config/queues.py).", labels=["queue"])
        for name, n in (depths or {}).items():
            by_queue.add_metric([name], n)
        yield by_queue
        yield _gauge("elmon_pipeline_lag_seconds", "Age of the oldest submission still received or processing (0 when none).", health.oldest_waiting_s)
        yield _gauge("elmon_pipeline_waiting", "Submissions received or processing.", health.waiting)
        yield _gauge("elmon_cluster_refresh_pending", "Clusters waiting for their duplicate/hotspot refresh.", health.clusters_pending)
        yield _gauge("elmon_cluster_refresh_lag_seconds", "Age of the oldest pending cluster refresh (0 when none).", health.oldest_cluster_s)
        by_state = GaugeMetricFamily("elmon_submissions", "Submissions by kind and pipeline state.", labels=["kind", "state"])
        for kind, state, n in Submission.objects.values_list("kind", "state").annotate(n=Count("pk")).order_by("kind", "state"):
            by_state.add_metric([kind, state], n)
        yield by_state


def _gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float("nan") if value is None else value)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, ALERTS, WEBHOOKS, SMS):
            registry.register(collector)
    registry.register(PipelineCollector())
    return registry


@never_cache
@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponseNotFound()
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("Unauthorized", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Counts each request and its latency under its route (the URL pattern's
    name, never the path: ids would make every report a series of its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or "unnamed") if match else "unmatched"
        method = request.method if request.method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") else "other"
        REQUESTS.labels(method=method, route=route, status=str(response.status_code)).inc()
        LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)
        return response

