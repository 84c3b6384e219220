"""The Celery application. Configuration lives in `config.settings` under the
`CELERY_` namespace, so the web process and the worker read the same values."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in the worker. Celery's Django fix-up closes the
# connection before and after every task unless CELERY_DB_REUSE_MAX is set
# (config.settings sets it out of reach): each report would pay for a new
# PostgreSQL session and lose its prepared statements. Django's own rule applies, as
# between web requests: keep the connection for CONN_MAX_AGE, health-check it
# (CONN_HEALTH_CHECKS, turned on for the worker below: the web process goes
# without), and drop it after an error, so a restarted database costs at most
# one failed attempt, which the task retries.
@worker_init.connect
def _database_health_checks_in_the_worker(**kwargs):
    from django.conf import settings

    for database in settings.DATABASES.values():
        if database["ENGINE"] != "django.db.backends.sqlite3":
            database["CONN_HEALTH_CHECKS"] = True


@task_prerun.connect
@task_postrun.connect
def _database_connections_between_tasks(task=None, **kwargs):
    if task is not None and getattr(task.request, "is_eager", False):
        return  # eager (embedded mode): inside the caller's request or transaction
    from django.db import close_old_connections

    close_old_connections()
