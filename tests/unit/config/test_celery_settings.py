"""The Celery settings the pipeline's reliability rests on, and the start-up
check that keeps the broker's visibility timeout above every countdown."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from reports.tasks import TRANSIENT_ERRORS, process_report

ROOT = Path(__file__).resolve().parents[3]


def test_one_report_per_worker_slot_acknowledged_late():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert process_report.acks_late and process_report.reject_on_worker_lost
    assert 0 < settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_PUBLISH_RETRY is False  # a dead broker never blocks intake


def test_only_transient_errors_are_retried_with_a_capped_backoff():
    assert set(process_report.autoretry_for) == set(TRANSIENT_ERRORS)
    assert process_report.retry_backoff and process_report.retry_jitter
    assert process_report.retry_backoff_max == settings.PIPELINE.retry_backoff_max
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > process_report.retry_backoff_max
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert settings.PIPELINE.sweep_after_seconds > settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CELERY_BROKER_VISIBILITY_TIMEOUT": "300"}, "CELERY_BROKER_VISIBILITY_TIMEOUT must exceed"),
        ({"SWEEPER_STUCK_AFTER_SECONDS": "60"}, "SWEEPER_STUCK_AFTER_SECONDS must exceed"),
    ],
)
def test_inconsistent_timeouts_refuse_to_start(env, message):
    child = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    child.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=child, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert message in result.stderr
