"""Handing deliveries to the workers by the task's registered name (services
never import tasks). Never raises: a delivery left `pending` is picked up by
the alert sweeper (`alerts.services.deliveries_sweep_pending`)."""

import logging

from celery import current_app

logger = logging.getLogger(__name__)

SEND_ALERT = "alerts.tasks.send_alert"


def enqueue_delivery(delivery_id: int) -> bool:
    try:
        current_app.tasks[SEND_ALERT].delay(delivery_id)
        return True
    except Exception:  # broker unreachable: the sweeper sends it later
        logger.warning("could not enqueue alert delivery %s; the sweeper will retry", delivery_id, exc_info=True)
        return False
