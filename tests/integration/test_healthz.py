"""/healthz on real processes: PostgreSQL and Redis reachable, and a clean 503
(also from the API) when the database is not."""

import pytest

from testkit.http import get, post_json
from testkit.processes import child_env, free_port, gunicorn

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_healthz_reports_database_and_broker_and_503_without_database(world, tmp_path):
    with gunicorn(tmp_path / "ok.log") as base:
        answer = get(base, "/healthz")
    assert answer.status == 200
    body = answer.json()
    assert body["database"]["ok"] is True and body["database"]["engine"] == "postgresql"
    assert body["broker"]["ok"] is True and body["broker"]["mode"] == "broker"

    no_database = child_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nowhere")
    with gunicorn(tmp_path / "down.log", env=no_database) as base:
        health = get(base, "/healthz")
        report = post_json(base, "/api/v1/reports/", {}, token="x")
    assert health.status == 503 and health.json()["database"]["ok"] is False
    assert report.status == 503 and report.json()["code"] == "service_unavailable"
