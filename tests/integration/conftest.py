"""Integration tests run against real PostgreSQL and Redis with a real Celery
worker process (`make test-integration` sets DATABASE_URL and CELERY_BROKER_URL).

Where CI=true a missing service fails the run; elsewhere the tests are skipped
with the reason."""

import os

import pytest
from django.conf import settings

from testkit.processes import gunicorn, start_worker, stop

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _service_problems() -> list[str]:
    problems = []
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    else:
        import psycopg

        try:
            psycopg.connect(
                host=database.get("HOST") or "127.0.0.1", port=database.get("PORT") or 5432, user=database.get("USER") or "postgres",
                dbname="postgres", connect_timeout=3,
            ).close()  # fmt: skip
        except psycopg.Error as exc:
            problems.append(f"PostgreSQL unreachable ({type(exc).__name__})")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        problems.append("CELERY_BROKER_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis unreachable ({type(exc).__name__})")
    return problems


@pytest.fixture(scope="session")
def integration_services():
    problems = _service_problems()
    if problems:
        message = "integration tests need PostgreSQL and Redis: " + "; ".join(problems) + " (use `make test-integration`)"
        if CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("integration"):
        request.getfixturevalue("integration_services")


def purge_queue():
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in settings.CELERY_TASK_QUEUES:  # this checkout's queues (config/queues.py)
            app.amqp.queues[queue.name].bind(conn.default_channel).purge()


@pytest.fixture(scope="module")
def celery_worker(integration_services, django_db_setup, tmp_path_factory):
    """One real `celery worker` process for the test module that asks for it, on
    the test database and this checkout's own queue. Not for the session: left
    running, it would take the reports that later modules enqueue without
    wanting a worker, and race their teardown's flush of the tables."""
    purge_queue()
    worker = start_worker(tmp_path_factory.mktemp("worker") / "worker.log")
    yield worker
    stop(worker.proc)


@pytest.fixture(scope="session")
def gunicorn_server(integration_services, django_db_setup, tmp_path_factory):
    """One real gunicorn (2 workers, the test database, this checkout's queue,
    otherwise the default environment) shared by every test that only needs a
    plain server: started once per run, stopped before the test database goes.
    Tests that need their own environment start their own (testkit.processes.gunicorn)."""
    with gunicorn(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log") as base:
        yield base
