"""Accreditation revoked in the middle of election day: the organization's new
submissions are refused at once, and its reports already waiting in the queue
are rejected by the pipeline with `accreditation_revoked`. Another
organization's queued report is unaffected."""

import pytest

from monitoring.services import accreditation_revoke
from reports.models import IncidentReport
from roster.tokens import token_issue
from testkit.http import post_json
from testkit.processes import gunicorn, private_broker_env, start_worker, stop, wait_for
from tests.conftest import report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_revocation_refuses_new_reports_and_rejects_queued_ones(world, private_redis, tmp_path):
    env = private_broker_env(private_redis.url())
    tokens = {o: token_issue(user=getattr(world, o).user)[1] for o in ("observer", "coordinator", "other_observer")}
    with gunicorn(tmp_path / "gunicorn.log", env=env) as base:
        # Queued before the revocation; no worker is running yet.
        queued = [post_json(base, "/api/v1/reports/", report_payload(world), token=tokens["observer"]).json()["id"] for _ in range(3)]
        other = post_json(base, "/api/v1/reports/", report_payload(world), token=tokens["other_observer"]).json()["id"]

        accreditation_revoke(accreditation=world.accreditation, reason="revoked by the commission at 14:00")

        for who in ("observer", "coordinator"):
            refused = post_json(base, "/api/v1/reports/", report_payload(world), token=tokens[who])
            assert refused.status == 403 and refused.json()["code"] == "accreditation_revoked", refused.body
        assert post_json(base, "/api/v1/reports/", report_payload(world), token=tokens["other_observer"]).status == 201

    worker = start_worker(tmp_path / "worker.log", extra_env=env)
    try:
        done = ["accepted", "rejected"]
        wait_for(
            lambda: IncidentReport.objects.filter(pk__in=[*queued, other], state__in=done).count() == 4, timeout=60, message="pipeline"
        )
    finally:
        stop(worker.proc)
    for report in IncidentReport.objects.filter(pk__in=queued):
        assert report.state == "rejected"
        assert [r["code"] for r in report.rejection_reasons] == ["accreditation_revoked"]
    assert IncidentReport.objects.get(pk=other).state == "accepted"
    assert IncidentReport.objects.filter(organization=world.accreditation.organization).count() == 3
