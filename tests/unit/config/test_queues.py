"""Task routing (config/queues.py): every pipeline, refresh and outbound task
has its own queue, named after CELERY_TASK_DEFAULT_QUEUE, and every queue a task
is routed to is one a worker consumes."""

import pytest
from django.conf import settings

from config.celery import app
from config.queues import queue_names, task_queues, task_routes

ROUTES = {
    "reports.tasks.process_report": "reports",
    "reports.tasks.process_checkin": "checkins",
    "reports.tasks.refresh_cluster": "refresh",
    "alerts.tasks.raise_report_alerts": "outbound",
    "alerts.tasks.send_alert": "outbound",
    "sms.tasks.deliver": "outbound",
    "sms.tasks.send_observer_message": "outbound",
    # beat's tasks stay on the default queue
    "reports.tasks.sweep_stuck_reports": None,
    "reports.tasks.checkpoint_chains": None,
    "alerts.tasks.sweep_alerts": None,
}


@pytest.mark.parametrize(("task", "suffix"), ROUTES.items())
def test_each_task_is_routed_to_its_queue(task, suffix):
    assert task in app.tasks  # a renamed task would silently fall back to the default queue
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    queue = app.amqp.router.route({}, task)["queue"].name
    assert queue == (f"{default}.{suffix}" if suffix else default)
    assert queue in app.amqp.queues  # a worker without -Q consumes it


def test_queue_names_derive_from_the_default_queue_so_checkouts_never_share_one():
    mine, theirs = queue_names("elmon-aaaa1111"), queue_names("elmon-bbbb2222")
    # in priority order: reports first, the default queue (beat's tasks) before the check-ins' wave
    assert mine == [f"elmon-aaaa1111.{s}" for s in ("reports", "refresh", "outbound")] + ["elmon-aaaa1111", "elmon-aaaa1111.checkins"]
    assert not set(mine) & set(theirs)
    assert {r["queue"] for r in task_routes("elmon-aaaa1111").values()} <= set(mine)
    assert [q.name for q in task_queues("elmon-aaaa1111")] == mine
    assert [q.name for q in settings.CELERY_TASK_QUEUES] == queue_names(settings.CELERY_TASK_DEFAULT_QUEUE)

