"""The audit trail (ReportEvent) is append-only through the ORM: nothing
rewrites or removes an event of a report that exists."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports.models import AppendOnlyError, IncidentReport, ReportEvent
from tests.filing import file_report


@pytest.fixture
def trail(world):
    report = file_report(world)
    rows = list(ReportEvent.objects.filter(report=report).order_by("id").values())
    assert [r["action"] for r in rows] == ["submitted", "processed"]
    return report, rows


def unchanged(report, rows) -> bool:
    return list(ReportEvent.objects.filter(report=report).order_by("id").values()) == rows


def test_an_event_is_never_saved_again_or_deleted(trail):
    report, rows = trail
    event = ReportEvent.objects.get(pk=rows[0]["id"])
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert unchanged(report, rows)


def test_a_new_instance_cannot_overwrite_an_event_by_its_id(world, trail):
    report, rows = trail
    forged = ReportEvent(pk=rows[0]["id"], report=report, at=timezone.now(), action=ReportEvent.Action.NOTE, note="forged")
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert unchanged(report, rows)


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda report: ReportEvent.objects.filter(report=report).update(note="rewritten"),
        lambda report: ReportEvent.objects.filter(report=report).delete(),
        lambda report: report.events.update(note="rewritten"),
        lambda report: report.events.all().delete(),
        lambda report: ReportEvent.objects.bulk_update(list(report.events.all()), ["note"]),
    ],
    ids=["update", "delete", "related update", "related delete", "bulk_update"],
)
def test_querysets_refuse_to_update_or_delete_events(trail, rewrite):
    report, rows = trail
    with pytest.raises(AppendOnlyError):
        rewrite(report)
    assert unchanged(report, rows)


def test_appending_still_works(world, trail):
    report, rows = trail
    ReportEvent.objects.create(report=report, actor=world.coordinator.user, at=timezone.now(), action=ReportEvent.Action.NOTE)
    assert ReportEvent.objects.filter(report=report).count() == len(rows) + 1


def test_deleting_a_report_still_takes_its_events_with_it(trail):
    # Nothing in the platform deletes reports (the admin refuses it to everyone);
    # Django's deletion collector does not go through the guarded methods, so the
    # guard does not turn a report deletion (in tests, or by an operator) into an error.
    report, _ = trail
    IncidentReport.objects.filter(pk=report.pk).delete()
    assert not ReportEvent.objects.filter(report_id=report.pk).exists()
