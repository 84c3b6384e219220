"""Cross-report rules stay within the submitting organization (security review
#12.3), on real components: reports filed through intake, processed by a real
Celery worker over Redis on PostgreSQL. Another organization's filings at the
same station and minute neither raise nor change a flag of ours, nor our risk,
and ours never reach theirs."""

import datetime as dt
import uuid
import zoneinfo

import pytest

from monitoring.models import Deployment
from reports.models import Flag, IncidentReport, ReportEvent
from testkit.factories import make_observer
from testkit.processes import wait_for
from tests.filing import file_report

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
DONE = ("accepted", "rejected", "failed")
CATEGORIES = ["carousel_voting", "group_voting", "voting_without_id", "secrecy_violated", "unauthorized_persons", "intimidation"]


def _submit(observer, station, minute, category, description=None):
    return file_report(
        observer=observer,
        election=station.election,
        station=station,
        category=category,
        description=description or f"Report {uuid.uuid4().hex[:8]} about {category}.",
        gps=(station.latitude + 0.0002, station.longitude + 0.0002, 15.0),
        occurred_at=dt.datetime(2021, 1, 10, 14, minute, tzinfo=ALMATY),
        process=False,
    )


def _wait(reports):
    ids = [r.pk for r in reports]
    wait_for(
        lambda: IncidentReport.objects.filter(pk__in=ids, state__in=DONE, cluster_flags_pending=False).count() == len(ids),
        timeout=60,
        message="processed, cluster flags refreshed",
    )


def _cross_flags(reports):
    return {(str(f.report_id), f.code): f.params for f in Flag.objects.filter(report__in=reports, code__in=["duplicate", "hotspot"])}


def test_another_organizations_filings_never_reach_our_cross_report_flags(world, celery_worker):
    station = world.station

    def observers(organization, prefix):
        made = [make_observer(organization, "observer", f"{prefix}-{i}") for i in range(5)]
        Deployment.objects.bulk_create([Deployment(observer=o, election=station.election, station=station) for o in made])
        return made

    ours, theirs = observers(world.observer.organization, "ours"), observers(world.other_observer.organization, "theirs")
    story = "A man put a stack of ballots into box 2."
    mine = [_submit(ours[i], station, 5 * i, CATEGORIES[i], story if i == 0 else None) for i in range(4)]
    their = [_submit(theirs[i], station, 5 * i + 1, CATEGORIES[i], story if i == 0 else None) for i in range(4)]
    _wait([*mine, *their])
    # Eight reports at one station within 20 minutes, and the same story told by both: four of each is no hot spot.
    assert _cross_flags([*mine, *their]) == {}
    their_risk = dict(IncidentReport.objects.filter(pk__in=[r.pk for r in their]).values_list("pk", "risk_score"))
    their_events = ReportEvent.objects.filter(report__in=their).count()

    fifth = _submit(ours[4], station, 21, CATEGORIES[4])
    _wait([fifth])
    flags = _cross_flags([*mine, fifth, *their])
    ours_ids = {str(r.pk) for r in [*mine, fifth]}
    assert {key for key in flags} == {(pk, "hotspot") for pk in ours_ids}
    for (pk, _), params in flags.items():
        assert params["count"] == 5 and set(params["related_reports"]) == ours_ids - {pk}
    assert dict(IncidentReport.objects.filter(pk__in=[r.pk for r in their]).values_list("pk", "risk_score")) == their_risk
    assert ReportEvent.objects.filter(report__in=their).count() == their_events
