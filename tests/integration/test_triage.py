"""The triage console on real PostgreSQL: the queue's queries at 500 reports,
and two coordinators deciding on one report at the same instant."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import ReportEvent
from reports.services.triage import TriageConflict, report_decide
from testkit.factories import make_observer
from tests.filing import file_report

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_queue_with_500_reports_on_postgresql(world, client, queue_of):
    queue_of(500, seed=1)
    client.force_login(world.coordinator.user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/reports/submission/?triage_status=open&region=almaty")
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) <= 14
    counts = [q for q in sql if "COUNT(" in q.upper()]
    assert counts and all("LIMIT 10001" in q for q in counts)


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_deciding_at_the_same_instant(world):
    """Both loaded version v; both submit at once. One decision is saved, the
    other is refused; nothing is silently overwritten."""
    report = file_report(world)
    colleague = make_observer(world.coordinator.organization, "coordinator", "coordinator-2")
    version = report.triage_version
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, user, status):
        try:
            barrier.wait(timeout=10)
            report_decide(report_id=report.pk, actor=user, status=status, note=name, expected_version=version)
            outcomes[name] = "saved"
        except TriageConflict:
            outcomes[name] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", world.coordinator.user, "verified")),
        threading.Thread(target=decide, args=("b", colleague.user, "dismissed")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    report.refresh_from_db()
    assert report.triage_status == {"a": "verified", "b": "dismissed"}[winner]
    assert list(ReportEvent.objects.filter(report=report, action="triage").values_list("note", flat=True)) == [winner]
