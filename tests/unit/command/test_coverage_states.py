"""The coverage states as pure logic: a plan, what observers sent, and the
clock time always given as an argument (nothing patched)."""

import datetime as dt
import zoneinfo

import pytest

from command.coverage import NOTHING, Activity, Contact, LastSeen, Post, State, Thresholds, coverage_compute, post_state, silent_now

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
RULES = Thresholds(silent_after=dt.timedelta(minutes=90), missing_after=dt.timedelta(minutes=30))


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on voting day (10 January 2021), Almaty clock."""
    return dt.datetime(2021, 1, 10, hour, minute, tzinfo=ALMATY)


SHIFT = (at(7), at(14))
NINE, TEN = at(9), at(10)


def state(activity=NOTHING, now=NINE, shift=SHIFT):
    return post_state(shift=shift, activity=activity, now=now, thresholds=RULES)


@pytest.mark.parametrize(
    ("now", "expected"),
    [(at(6), State.PLANNED), (at(7, 29), State.PLANNED), (at(7, 30), State.MISSING), (at(13), State.MISSING), (at(15), State.MISSING)],
)
def test_without_an_arrival_an_observer_is_planned_then_missing_30_minutes_into_the_shift(now, expected):
    assert state(now=now).state == expected


def test_missing_is_counted_from_the_shift_start_and_never_without_a_shift():
    assert state(now=at(8)).since == at(7)
    assert state(now=at(18), shift=None).state == State.PLANNED


def test_arrived_then_reporting_once_anything_follows_the_arrival():
    arrived = Activity(last_arrived_at=at(6, 50), last_at=at(6, 50))
    assert state(arrived, now=at(7, 30)).state == State.ARRIVED
    quiet = Activity(last_arrived_at=at(6, 50), last_at=at(8, 0), last_other_at=at(8, 0))
    assert state(quiet, now=at(8, 10)).state == State.REPORTING


@pytest.mark.parametrize(
    ("now", "expected"),
    [(at(9, 29), State.REPORTING), (at(9, 30), State.SILENT), (at(13, 59), State.SILENT), (at(14), State.REPORTING)],
)
def test_silent_after_90_minutes_without_a_submission_while_the_shift_runs(now, expected):
    last = Activity(last_arrived_at=at(7), last_at=at(8), last_other_at=at(8))
    result = state(last, now=now)
    assert result.state == expected
    if expected == State.SILENT:
        assert result.since == at(8)


def test_silence_before_the_shift_does_not_count():
    early = Activity(last_arrived_at=at(5), last_at=at(5))
    assert state(early, now=at(7, 10)).state == State.ARRIVED  # 130 min after the arrival, 10 into the shift
    assert state(early, now=at(8, 30)).state == State.SILENT
    assert state(early, now=at(8, 30)).since == at(7)


def test_without_a_shift_silence_runs_from_the_arrival():
    arrived = Activity(last_arrived_at=at(7), last_at=at(7))
    assert state(arrived, now=at(8, 29), shift=None).state == State.ARRIVED
    assert state(arrived, now=at(8, 30), shift=None).state == State.SILENT


def test_left_after_the_last_arrival_ends_the_watch_and_a_new_arrival_resumes_it():
    left = Activity(last_arrived_at=at(7), last_left_at=at(12), last_at=at(12), last_other_at=at(12))
    assert state(left, now=at(13, 50)).state == State.LEFT
    back = Activity(last_arrived_at=at(12, 30), last_left_at=at(12), last_at=at(12, 30), last_other_at=at(12))
    assert state(back, now=at(12, 40)).state == State.ARRIVED


def test_a_night_shift_through_the_count_is_watched_after_midnight():
    night = (at(18), at(18) + dt.timedelta(hours=10))
    last = Activity(last_arrived_at=at(18), last_at=at(23), last_other_at=at(23))
    assert state(last, now=at(23) + dt.timedelta(minutes=95), shift=night).state == State.SILENT


def post(observer_id, station_id, *, region="almaty", position=0, shift=SHIFT, code=None):
    return Post(
        observer_id=observer_id,
        public_code=code or f"OBS-{observer_id}",
        station_id=station_id,
        station_code="" if station_id is None else f"S{station_id}",
        region_code=region,
        position=position,
        shift=shift,
    )


def compute(posts, activity=None, now=TEN, last_seen=None, last_checkin=None, contacts=None):
    return coverage_compute(
        posts=posts,
        activity=activity or {},
        last_seen=last_seen or {},
        last_checkin=last_checkin or {},
        contacts=contacts or {},
        now=now,
        thresholds=RULES,
    )


def test_totals_and_regions_count_stations_by_their_best_covered_observer():
    posts = [
        post(1, 10),  # reporting
        post(2, 10),  # silent at the same station: the station is covered
        post(3, 11),  # silent alone
        post(4, 12, region="aktobe"),  # missing
        post(5, 13, region="aktobe", shift=(at(15), at(20))),  # planned for the afternoon
        post(6, 14, region="aktobe"),  # arrived just now
    ]
    activity = {
        (1, 10): Activity(last_arrived_at=at(7), last_at=at(9, 50), last_other_at=at(9, 50)),
        (2, 10): Activity(last_arrived_at=at(7), last_at=at(7)),
        (3, 11): Activity(last_arrived_at=at(7), last_at=at(8), last_other_at=at(8)),
        (6, 14): Activity(last_arrived_at=at(9, 55), last_at=at(9, 55)),
    }
    result = compute(posts, activity)
    assert vars(result.totals) == {"planned": 5, "arrived": 3, "reporting": 1, "silent": 1, "missing": 1}
    regions = dict(result.regions)
    assert vars(regions["almaty"]) == {"planned": 2, "arrived": 2, "reporting": 1, "silent": 1, "missing": 0}
    assert vars(regions["aktobe"]) == {"planned": 3, "arrived": 1, "reporting": 0, "silent": 0, "missing": 1}
    states = {o.public_code: o.state for o in result.observers}
    assert states == {
        "OBS-1": State.REPORTING,
        "OBS-2": State.SILENT,
        "OBS-3": State.SILENT,
        "OBS-4": State.MISSING,
        "OBS-5": State.PLANNED,
        "OBS-6": State.ARRIVED,
    }
    assert [o.public_code for o in silent_now(result)] == ["OBS-2", "OBS-3"]  # silent since 07:00, then since 08:00
    assert result.stations[10] == (State.REPORTING, True)


def test_the_same_plan_reads_differently_at_each_clock_time():
    posts = [post(1, 10)]
    activity = {(1, 10): Activity(last_arrived_at=at(7, 45), last_at=at(7, 45))}
    # What was sent later than the clock time is not in the activity (the
    # selectors read up to `now`); here the arrival at 07:45 is known from 07:45.
    assert compute(posts, {}, now=at(7, 40)).observers[0].state == State.MISSING
    assert compute(posts, activity, now=at(7, 50)).observers[0].state == State.ARRIVED
    assert compute(posts, activity, now=at(9, 15)).observers[0].state == State.SILENT
    assert compute(posts, activity, now=at(14, 30)).observers[0].state == State.ARRIVED  # shift over: no longer watched


def test_an_observer_is_judged_at_the_post_they_are_at_and_told_their_next_shift():
    posts = [post(1, 10, position=0, shift=(at(7), at(13))), post(1, 11, position=1, shift=(at(13), at(20)))]
    morning = compute(posts, now=at(8))
    (observer,) = morning.observers
    assert (observer.station_code, observer.state, observer.next_shift_station) == ("S10", State.MISSING, "S11")
    assert observer.next_shift_start == at(13)
    present = {(1, 11): Activity(last_arrived_at=at(12, 50), last_at=at(12, 50))}
    (observer,) = compute(posts, present, now=at(13, 5)).observers
    assert (observer.station_code, observer.state, observer.next_shift_station) == ("S11", State.ARRIVED, "")
    assert vars(compute(posts, present, now=at(13, 5)).totals) == {"planned": 2, "arrived": 1, "reporting": 0, "silent": 0, "missing": 1}


def test_a_mobile_team_is_judged_on_everything_it_sent_and_counts_no_station():
    posts = [post(1, None, region="aktobe")]
    activity = {(1, None): Activity(last_arrived_at=at(7), last_at=at(9, 45), last_other_at=at(9, 45))}
    result = compute(posts, activity)
    assert result.observers[0].state == State.REPORTING and result.observers[0].region_code == "aktobe"
    assert result.totals.planned == 0 and result.stations == {}


def test_unreachable_marks_the_observer_until_their_next_check_in():
    posts = [post(1, 10)]
    call = Contact(outcome="unreachable", at=at(9))
    seen = {1: LastSeen(at=at(8), station_code="S10", distance_m=30.0)}
    before = compute(posts, contacts={1: call}, last_seen=seen, last_checkin={1: at(8)})
    assert before.observers[0].unreachable and before.observers[0].contact == call
    assert before.observers[0].last_seen.distance_m == 30.0
    after = compute(posts, contacts={1: call}, last_checkin={1: at(9, 30)})
    assert not after.observers[0].unreachable
    reached = compute(posts, contacts={1: Contact(outcome="reached", at=at(9))})
    assert not reached.observers[0].unreachable
