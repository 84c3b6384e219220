"""The beat sweeper: what the broker lost (down at submission) or a dead
worker left behind is enqueued again; what ran out of attempts is put in
front of a coordinator instead of looping forever."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from ..enqueue import enqueue_processing, enqueue_report_alerts
from ..models import ReportState, Submission
from ..writes import report_give_up


def reports_sweep_stuck(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-enqueue reports stuck in received/processing, and mark the ones that
    ran out of attempts `failed`. Returns how many were enqueued."""
    age = older_than_seconds if older_than_seconds is not None else settings.PIPELINE.sweep_after_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=age)
    stuck = list(
        Submission.objects.filter(state__in=[ReportState.RECEIVED, ReportState.PROCESSING], received_at__lt=cutoff)
        .exclude(state=ReportState.PROCESSING, processing_started_at__gte=cutoff)
        .order_by("received_at")
        .values_list("pk", "processing_attempts", "kind")[:limit]
    )
    enqueued = 0
    for report_id, attempts, kind in stuck:
        if attempts >= settings.PIPELINE.max_attempts:
            if report_give_up(report_id):
                enqueue_report_alerts(report_id)
        elif enqueue_processing(report_id, kind):
            enqueued += 1
    return enqueued
