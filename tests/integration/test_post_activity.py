"""The coverage board's read model on PostgreSQL (command.PostActivity, kept
by the triggers of migration command 0002): after inserts, a rejection and its
reversal, and concurrent writers on one post, each kept row equals the
aggregate over the submissions it stands for, and the coverage read from the
kept rows is the coverage read from the submissions."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone

from command.coverage import State
from command.models import PostActivity
from command.selectors import _activities, _utc, activity_by_post
from command.services.coverage import coverage_for
from reports.models import Submission
from testkit.factories import CheckInFactory, DeploymentFactory, IncidentReportFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def kept() -> dict:
    return {
        (r.observer_id, r.station_id): (r.last_arrived_at, r.last_left_at, r.last_other_at)
        for r in PostActivity.objects.all()
        if r.last_arrived_at or r.last_other_at
    }


def aggregated() -> dict:
    rows = (
        Submission.objects.exclude(state="rejected")
        .values_list("submitted_by_id", "station_id")
        .annotate(
            arrived=Max("occurred_at", filter=Q(checkin_kind="arrived")),
            left=Max("occurred_at", filter=Q(checkin_kind="left")),
            other=Max("occurred_at", filter=Q(checkin_kind__isnull=True) | ~Q(checkin_kind="arrived")),
        )
        .order_by()
    )
    return {(o, s): (a, left, other) for o, s, a, left, other in rows}


@pytest.fixture
def live(world):
    """The world's plan running now: the observer posted at the station for the whole local day."""
    now = timezone.now()
    world.election.voting_day = now.date()
    world.election.save()
    world.observer.deployments.update(shift_start=None, shift_end=None)
    DeploymentFactory(observer=world.observer_2, election=world.election, station=world.station_far)
    world.now = now
    return world


def test_the_kept_rows_follow_inserts_a_rejection_and_its_reversal_and_the_board_reads_them(live):
    w, now = live, live.now
    ago = lambda minutes: now - dt.timedelta(minutes=minutes)  # noqa: E731
    CheckInFactory(election=w.election, station=w.station, submitted_by=w.observer, occurred_at=ago(100))
    quiet = CheckInFactory(
        election=w.election, station=w.station, submitted_by=w.observer, checkin_kind="all_quiet", occurred_at=ago(40)
    )
    IncidentReportFactory(election=w.election, station=w.station_far, submitted_by=w.observer, occurred_at=ago(30))
    CheckInFactory(election=w.election, station=w.station_far, submitted_by=w.observer_2, occurred_at=ago(20))
    CheckInFactory(election=w.election, station=w.station_far, submitted_by=w.observer_2, checkin_kind="left", occurred_at=ago(10))
    assert kept() == aggregated() and len(kept()) == 3
    assert kept()[(w.observer.pk, w.station.pk)] == (ago(100), None, ago(40))

    def state_of(observer) -> State:
        coverage = coverage_for(user=w.coordinator.user, election=w.election, now=timezone.now())
        return next(o.state for o in coverage.observers if o.observer_id == observer.pk)

    assert (state_of(w.observer), state_of(w.observer_2)) == (State.REPORTING, State.LEFT)

    # The pipeline rejects the all-quiet: the row is recounted down; a reversal raises it again.
    Submission.objects.filter(pk=quiet.pk).update(state="rejected")
    assert kept()[(w.observer.pk, w.station.pk)] == (ago(100), None, None) and kept() == aggregated()
    assert state_of(w.observer) == State.SILENT  # arrived 100 min ago, nothing since counts
    Submission.objects.filter(pk=quiet.pk).update(state="accepted")
    assert kept() == aggregated() and state_of(w.observer) == State.REPORTING


def test_a_reading_before_the_latest_submission_uses_the_submissions(live):
    """The kept rows hold the latest of everything: a replay of the day at an
    earlier time must not see what came later."""
    w, now = live, live.now
    CheckInFactory(election=w.election, station=w.station, submitted_by=w.observer, occurred_at=now - dt.timedelta(hours=2))
    CheckInFactory(election=w.election, station=w.station, submitted_by=w.observer, checkin_kind="left", occurred_at=now)
    earlier = activity_by_post(election=w.election, organization_id=w.observer.organization_id, now=now - dt.timedelta(hours=1), mobile=set())
    assert earlier[(w.observer.pk, w.station.pk)].last_left_at is None
    later = activity_by_post(election=w.election, organization_id=w.observer.organization_id, now=now, mobile=set())
    assert later[(w.observer.pk, w.station.pk)].last_left_at == now


def test_concurrent_writers_on_one_post_lose_nothing(live):
    """Eight transactions at once on one (observer, station): six inserts,
    each holding its transaction open a moment, and two rejections of
    earlier submissions (recounts). Whatever order the database serializes
    them in, the kept row equals the aggregate."""
    w, now = live, live.now
    first = CheckInFactory(election=w.election, station=w.station, submitted_by=w.observer, occurred_at=now - dt.timedelta(hours=3))
    report = IncidentReportFactory(election=w.election, station=w.station, submitted_by=w.observer, occurred_at=now - dt.timedelta(hours=2))
    start = threading.Barrier(8)
    errors = []

    def run(work):
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                work()
                threading.Event().wait(0.15)  # hold the transaction (and any row lock) open
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    def insert(minutes, kind):
        return lambda: CheckInFactory(
            election=w.election,
            station=w.station,
            submitted_by=w.observer,
            checkin_kind=kind,
            occurred_at=now - dt.timedelta(minutes=minutes),
        )

    works = [insert(m, k) for m, k in [(90, "all_quiet"), (80, "arrived"), (70, "all_quiet"), (60, "left"), (50, "all_quiet"), (45, "arrived")]]
    works += [lambda: Submission.objects.filter(pk=report.pk).update(state="rejected")]
    works += [lambda: Submission.objects.filter(pk=first.pk).update(state="rejected")]
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert Submission.objects.count() == 8
    assert kept() == aggregated()
    assert kept()[(w.observer.pk, w.station.pk)] == (now - dt.timedelta(minutes=45), now - dt.timedelta(minutes=60), now - dt.timedelta(minutes=50))


def test_the_kept_rows_read_as_the_aggregate_does(live):
    """Same Activity from the kept rows as from the submissions (the epoch round trip included)."""
    w, now = live, live.now
    for minutes, kind in [(100, "arrived"), (61, "all_quiet"), (7, "left")]:
        CheckInFactory(election=w.election, station=w.station, submitted_by=w.observer, checkin_kind=kind, occurred_at=now - dt.timedelta(minutes=minutes, microseconds=17))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT observer_id, station_id, EXTRACT(EPOCH FROM last_arrived_at)::float8, EXTRACT(EPOCH FROM last_left_at)::float8,"
            " EXTRACT(EPOCH FROM last_other_at)::float8 FROM command_postactivity"
        )
        from_rows = _activities(cursor.fetchall(), _utc, set())
    arrived, left, other = aggregated()[(w.observer.pk, w.station.pk)]
    here = from_rows[(w.observer.pk, w.station.pk)]
    assert (here.last_arrived_at, here.last_left_at, here.last_other_at, here.last_at) == (arrived, left, other, other)
    assert here.last_at == now - dt.timedelta(minutes=7, microseconds=17)


def test_an_observer_who_changed_organization_is_read_as_one_for_everyone(live):
    """Kept rows are per organization; read for platform staff (every
    organization), one observer's rows at one station are one activity, as
    in the aggregate."""
    w, now = live, live.now
    CheckInFactory(election=w.election, station=w.station, submitted_by=w.observer, occurred_at=now - dt.timedelta(hours=2))
    CheckInFactory(
        election=w.election,
        station=w.station,
        submitted_by=w.observer,
        organization=w.other_observer.organization,
        checkin_kind="all_quiet",
        occurred_at=now - dt.timedelta(hours=1),
    )
    assert PostActivity.objects.filter(observer=w.observer).count() == 2
    here = activity_by_post(election=w.election, organization_id=None, now=now, mobile=set())[(w.observer.pk, w.station.pk)]
    assert (here.last_arrived_at, here.last_other_at) == (now - dt.timedelta(hours=2), now - dt.timedelta(hours=1))
