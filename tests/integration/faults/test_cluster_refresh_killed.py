"""A worker SIGKILLed in the middle of a cluster's batched flag refresh: the
refresh's transaction dies with it, the cluster stays pending (and its reports
say so), and the next worker's refresh leaves every flag exactly right, with
no flag lost or doubled.

The refresh is held mid-transaction the way `test_worker_killed` holds a
report: the flags table is locked once every report of the hot spot is
stored, so the refresh (debounced a few seconds) stops after it has claimed
the cluster's pending row and locked the cluster's reports. Two kills: the
whole worker (a machine dying: the message stays unacknowledged and the
sweeper re-enqueues the refresh for a new worker) and a pool process (the
parent sees the loss and requeues the message)."""

import datetime as dt
import os
import signal
import uuid

import pytest

from reports.models import ClusterRefresh, Flag, IncidentReport
from reports.rules import SEVERITY_WEIGHT
from reports.services.clusters import clusters_sweep_stale
from testkit.factories import ALMATY, make_observer
from testkit.processes import start_worker, stop, wait_for
from tests.filing import file_report
from tests.integration.conftest import purge_queue
from tests.integration.faults.conftest import blocked_on_flags, flag_table_locked
from tests.integration.faults.test_worker_killed import _pool_children

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CATEGORIES = ["carousel_voting", "group_voting", "voting_without_id", "secrecy_violated", "unauthorized_persons", "intimidation"]
WORKER_ENV = {"CLUSTER_REFRESH_DEBOUNCE_SECONDS": 10}


def _file(world, i):
    observer = make_observer(world.observer.organization, "observer", f"hot-{i}")
    return file_report(
        observer=observer,
        election=world.election,
        station=world.station,
        category=CATEGORIES[i % len(CATEGORIES)],
        description=uuid.uuid4().hex,  # no two alike: a hot spot, not duplicates
        occurred_at=dt.datetime(2021, 1, 10, 11, 0, tzinfo=ALMATY) + dt.timedelta(minutes=5 * i),
        process=False,
    )


def _stored(reports):
    ids = [r.pk for r in reports]
    wait_for(
        lambda: IncidentReport.objects.filter(pk__in=ids, state="accepted").count() == len(ids), timeout=60, message="reports stored"
    )


def _assert_exactly_right(reports):
    ids = {str(r.pk) for r in reports}
    flags = list(Flag.objects.filter(report__in=reports, code="hotspot"))
    assert len(flags) == len(reports), "one hotspot flag per report, none lost, none doubled"
    for flag in flags:
        assert flag.params["count"] == len(reports)
        assert set(flag.params["related_reports"]) == ids - {str(flag.report_id)}
    assert not Flag.objects.filter(report__in=reports, code="duplicate").exists()
    for report in IncidentReport.objects.filter(pk__in=[r.pk for r in reports]).prefetch_related("flags"):
        assert not report.cluster_flags_pending
        expected = 10 * SEVERITY_WEIGHT[report.severity] + sum(10 * SEVERITY_WEIGHT[f.severity] for f in report.flags.all())
        assert report.risk_score == expected
    assert not ClusterRefresh.objects.exists()


def _killed_mid_refresh(kill):
    """Hold the refresh inside its transaction, then `kill`."""
    with flag_table_locked():
        wait_for(lambda: blocked_on_flags() >= 1, timeout=60, message="the refresh stuck inside its transaction")
        kill()


def test_a_worker_killed_mid_refresh_loses_nothing_and_doubles_nothing(world, tmp_path, api_client):
    purge_queue()
    worker = start_worker(tmp_path / "worker-1.log", concurrency=1, extra_env=WORKER_ENV)
    try:
        reports = [_file(world, i) for i in range(12)]
        _stored(reports)
        # Stored, flagged on their own, and shown as waiting for their cluster's flags
        # (all but the first processed: alone in its district, it had no cluster yet).
        ids = [r.pk for r in reports]
        assert IncidentReport.objects.filter(pk__in=ids, cluster_flags_pending=True).count() == 11
        api_client.force_authenticate(user=world.coordinator.user)
        assert api_client.get(f"/api/v1/reports/{reports[-1].pk}/").json()["cluster_flags_pending"] is True

        # 1. The whole worker dies mid-refresh: nothing of the refresh stays.
        def kill_worker():
            os.killpg(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait(timeout=10)

        _killed_mid_refresh(kill_worker)
        assert ClusterRefresh.objects.count() == 1
        assert not Flag.objects.filter(report__in=reports, code="hotspot").exists()
        assert IncidentReport.objects.filter(pk__in=ids, cluster_flags_pending=True).count() == 11

        # A new worker; the sweeper finds the stale pending cluster and re-enqueues it.
        worker = start_worker(tmp_path / "worker-2.log", concurrency=1, extra_env=WORKER_ENV)
        assert clusters_sweep_stale(older_than_seconds=0) == 1
        wait_for(lambda: not ClusterRefresh.objects.exists(), timeout=60, message="the new worker's refresh")
        _assert_exactly_right(reports)
        assert api_client.get(f"/api/v1/reports/{reports[-1].pk}/").json()["cluster_flags_pending"] is False

        # 2. The cluster grows; a pool process dies mid-refresh: the parent requeues the refresh.
        reports.append(_file(world, 12))
        _stored(reports[-1:])

        def kill_pool():
            children = _pool_children(worker.proc.pid)
            assert children, "the worker has no pool processes"
            for pid in children:
                os.kill(pid, signal.SIGKILL)

        _killed_mid_refresh(kill_pool)
        wait_for(lambda: not ClusterRefresh.objects.exists(), timeout=60, message="the requeued refresh")
        _assert_exactly_right(reports)
    finally:
        stop(worker.proc)
