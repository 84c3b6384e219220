"""The Celery queues and which task goes on which (docs/deployment.md, "Queues").

Work of different urgency waits in different queues, so a wave of one kind never
queues another behind it: the opening hour's thousands of check-ins do not delay
the incident reports filed meanwhile, and neither delays a cluster's flag refresh
or an alert. Every name derives from `CELERY_TASK_DEFAULT_QUEUE` (the Makefile
sets one per checkout for the tests), so deployments and checkouts sharing one
Redis never share a queue:

| queue | tasks |
|---|---|
| `<default>.reports` | incident reports and checklists (`reports.tasks.process_report`) |
| `<default>.checkins` | check-ins (`reports.tasks.process_checkin`) |
| `<default>.refresh` | batched cluster flag refreshes (`reports.tasks.refresh_cluster`) |
| `<default>.outbound` | alerts, webhooks and SMS (`alerts.tasks.*`, `sms.tasks.*`) |
| `<default>` | the rest: beat's sweeps and checkpoints |

A worker started without `-Q` consumes all of them (they are `task_queues`), in
priority order: it takes from the first queue holding a message (settings set
the Redis transport's `queue_order_strategy` to `priority`), so reports never
wait behind check-ins, and check-ins are processed whenever no report, refresh,
alert or sweep waits. With `-Q`, the order given is the priority.
Pure: no Django import, so settings can build its values from it."""

from kombu import Queue

REPORTS, CHECKINS, REFRESH, OUTBOUND = "reports", "checkins", "refresh", "outbound"
# Every queue in priority order (None: the default queue itself, beat's tasks).
PRIORITY = (REPORTS, REFRESH, OUTBOUND, None, CHECKINS)

# Task name -> queue suffix. Unlisted tasks go to the default queue.
ROUTED_TASKS = {
    "reports.tasks.process_report": REPORTS,
    "reports.tasks.process_checkin": CHECKINS,
    "reports.tasks.refresh_cluster": REFRESH,
    "alerts.tasks.raise_report_alerts": OUTBOUND,
    "alerts.tasks.send_alert": OUTBOUND,
    "sms.tasks.deliver": OUTBOUND,
    "sms.tasks.send_observer_message": OUTBOUND,
}


def queue_name(default: str, suffix: str | None) -> str:
    """The full name of a work queue (`suffix` None: the default queue itself)."""
    return f"{default}.{suffix}" if suffix else default


def queue_names(default: str) -> list[str]:
    """Every queue of the deployment whose default queue is `default`, in
    priority order: the ones a worker consumes (`celery worker -Q ",".join(...)`)."""
    return [queue_name(default, s) for s in PRIORITY]


def task_queues(default: str) -> tuple[Queue, ...]:
    return tuple(Queue(name, routing_key=name) for name in queue_names(default))


def task_routes(default: str) -> dict[str, dict]:
    return {
        task: {"queue": queue_name(default, suffix), "routing_key": queue_name(default, suffix)} for task, suffix in ROUTED_TASKS.items()
    }
