"""Coverage read from the database: the plan of the user's organization, what
its observers sent up to the clock time, in a fixed number of queries; other
organizations never counted; observers refused."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from command.coverage import State
from command.models import ContactAttempt
from command.services.coverage import CoverageDenied, coverage_for
from testkit.factories import ALMATY, CheckInFactory, DeploymentFactory, IncidentReportFactory, PollingStationFactory, make_observer

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 1, 10, hour, minute, tzinfo=ALMATY)


def deploy(world, observer, station, start=dt.time(7), end=dt.time(14), position=0):
    return DeploymentFactory(
        observer=observer, election=world.election, station=station, shift_start=start, shift_end=end, position=position
    )


def checkin(world, observer, station, kind, when, **extra):
    return CheckInFactory(election=world.election, station=station, submitted_by=observer, checkin_kind=kind, occurred_at=when, **extra)


@pytest.fixture
def plan(world):
    """observer: station 02001 (deployed by the world, given a shift here);
    observer-2: station 05001; the other organization's observer: 02001 too."""
    world.observer.deployments.update(shift_start=dt.time(7), shift_end=dt.time(14))
    deploy(world, world.observer_2, world.station_far)
    deploy(world, world.other_observer, world.station)
    return world


def states(coverage) -> dict:
    return {o.public_code: o.state for o in coverage.observers}


def test_coordinators_see_their_organization_at_each_clock_time(plan):
    w = plan
    checkin(w, w.observer, w.station, "arrived", at(6, 55))
    IncidentReportFactory(election=w.election, station=w.station, submitted_by=w.observer, occurred_at=at(8, 10))
    # The other organization's observer arrives and reports: never counted.
    checkin(w, w.other_observer, w.station, "arrived", at(6, 50))
    checkin(w, w.other_observer, w.station_far, "arrived", at(6, 50))

    early = coverage_for(user=w.coordinator.user, election=w.election, now=at(7, 10))
    assert states(early) == {w.observer.public_code: State.ARRIVED, w.observer_2.public_code: State.PLANNED}
    assert vars(early.totals) == {"planned": 2, "arrived": 1, "reporting": 0, "silent": 0, "missing": 0}

    later = coverage_for(user=w.auditor.user, election=w.election, now=at(8, 30))
    assert states(later) == {w.observer.public_code: State.REPORTING, w.observer_2.public_code: State.MISSING}
    assert vars(later.totals) == {"planned": 2, "arrived": 1, "reporting": 1, "silent": 0, "missing": 1}
    assert [(code, vars(c)["missing"]) for code, c in later.regions] == [("almaty", 0), ("nur-sultan", 1)]

    quiet = coverage_for(user=w.coordinator.user, election=w.election, now=at(9, 40))
    assert states(quiet)[w.observer.public_code] == State.SILENT
    seen = next(o for o in quiet.observers if o.public_code == w.observer.public_code).last_seen
    assert seen.at == at(8, 10) and seen.station_code == "02001" and 20 < seen.distance_m < 60


def test_what_the_pipeline_rejected_and_what_came_after_the_clock_time_do_not_count(plan):
    w = plan
    checkin(w, w.observer, w.station, "arrived", at(6, 55), state="rejected")
    checkin(w, w.observer_2, w.station_far, "arrived", at(9))
    coverage = coverage_for(user=w.coordinator.user, election=w.election, now=at(8))
    assert states(coverage) == {w.observer.public_code: State.MISSING, w.observer_2.public_code: State.MISSING}


def test_the_other_organization_sees_only_its_own_and_platform_staff_see_everyone(plan):
    w = plan
    other = coverage_for(user=w.other_coordinator.user, election=w.election, now=at(8))
    assert states(other) == {w.other_observer.public_code: State.MISSING} and other.totals.planned == 1
    everyone = coverage_for(user=w.platform_auditor.user, election=w.election, now=at(8))
    assert len(everyone.observers) == 3 and everyone.totals.planned == 2
    assert len(coverage_for(user=w.superuser, election=w.election, now=at(8)).observers) == 3


@pytest.mark.parametrize("who", ["observer", "revoked_observer"])
def test_observers_may_not_see_coverage(plan, who):
    with pytest.raises(CoverageDenied):
        coverage_for(user=getattr(plan, who).user, election=plan.election, now=at(8))


def test_an_unreachable_observer_stays_marked_until_their_next_check_in(plan):
    w = plan
    checkin(w, w.observer, w.station, "arrived", at(7))
    ContactAttempt.objects.create(election=w.election, observer=w.observer, recorded_by=w.coordinator.user, outcome="unreachable", at=at(9))
    marked = next(
        o for o in coverage_for(user=w.coordinator.user, election=w.election, now=at(9, 5)).observers if o.observer_id == w.observer.pk
    )
    assert marked.unreachable and marked.contact.by == w.coordinator.public_code
    checkin(w, w.observer, w.station, "all_quiet", at(9, 20))
    cleared = next(
        o for o in coverage_for(user=w.coordinator.user, election=w.election, now=at(9, 25)).observers if o.observer_id == w.observer.pk
    )
    assert not cleared.unreachable and cleared.state == State.REPORTING


def test_queries_do_not_grow_with_the_plan(plan):
    w = plan

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            coverage_for(user=w.coordinator.user, election=w.election, now=at(10))
        return len(queries)

    checkin(w, w.observer, w.station, "arrived", at(7))
    small = count()
    for i in range(12):
        observer = make_observer(w.coordinator.organization, "observer")
        station = PollingStationFactory(election=w.election, district=w.station.district, code=f"02{i + 100}")
        deploy(w, observer, station)
        checkin(w, observer, station, "arrived", at(7, i))
        IncidentReportFactory(election=w.election, station=station, submitted_by=observer, occurred_at=at(8, i))
    assert count() == small
