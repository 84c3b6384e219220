"""Evidence the database itself refuses to rewrite (migration 0013): raw SQL,
as someone with `manage.py dbshell` or the application's credentials would
send it, is refused for a submission's submitted fields and chain link, audit
events, checkpoints and chain heads; the pipeline's and the coordinators'
fields stay writable."""

import pytest
from django.db import DatabaseError, connection, transaction

from reports.models import ChainHead, Checkpoint, ReportEvent
from reports.services.checkpoints import checkpoints_for_moved_chains
from tests.filing import file_report

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _refused(sql: str, params) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


def _runs(sql: str, params) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.mark.parametrize(
    "assignment",
    [
        "description = 'Nothing happened.'",
        "content_sha256 = repeat('0', 64)",
        "occurred_at = occurred_at + interval '1 hour'",
        "latitude = latitude + 0.1",
        "station_id = station_id",  # unchanged: allowed, see below
    ],
)
def test_a_submissions_submitted_fields_cannot_be_rewritten(world, assignment):
    report = file_report(world)
    sql = f"UPDATE reports_submission SET {assignment} WHERE id = %s"
    if assignment == "station_id = station_id":
        assert _runs(sql, [report.pk]) == 1  # writing the same value back changes nothing
        return
    assert "its submitted fields never change" in _refused(sql, [report.pk])


def test_a_submissions_chain_link_is_set_once(world):
    report = file_report(world)
    for assignment in ("chain_sha256 = repeat('a', 64)", "chain_seq = chain_seq + 100", "received_at = received_at - interval '1 day'"):
        assert "its chain link never changes" in _refused(f"UPDATE reports_submission SET {assignment} WHERE id = %s", [report.pk])


def test_pipeline_and_triage_fields_stay_writable_and_nothing_is_deleted(world):
    report = file_report(world)
    assert _runs("UPDATE reports_submission SET triage_status = 'verified', risk_score = risk_score + 1 WHERE id = %s", [report.pk]) == 1
    assert "never deleted" in _refused("DELETE FROM reports_submission WHERE id = %s", [report.pk])


def test_audit_events_checkpoints_and_chain_heads_cannot_be_rewritten(world):
    report = file_report(world)
    checkpoints_for_moved_chains()
    event = ReportEvent.objects.filter(report=report).first()
    checkpoint = Checkpoint.objects.get()
    head = ChainHead.objects.get(organization=report.organization, kind="incident")
    assert "append-only" in _refused("UPDATE reports_reportevent SET note = 'edited' WHERE id = %s", [event.pk])
    assert "append-only" in _refused("DELETE FROM reports_reportevent WHERE id = %s", [event.pk])
    assert "append-only" in _refused("UPDATE reports_checkpoint SET head = repeat('0', 64) WHERE id = %s", [checkpoint.pk])
    assert "append-only" in _refused("DELETE FROM reports_checkpoint WHERE id = %s", [checkpoint.pk])
    # The attack ends by re-linking the head at the same position: refused.
    assert "only moves forward" in _refused("UPDATE reports_chainhead SET sha256 = repeat('b', 64) WHERE id = %s", [head.pk])
    assert "only moves forward" in _refused("DELETE FROM reports_chainhead WHERE id = %s", [head.pk])
    file_report(world)  # and the append still moves it forward
    assert ChainHead.objects.get(pk=head.pk).seq == head.seq + 1
