"""Coverage of the deployment plan at a clock time: pure state logic, no
database and no clock of its own (the time is always an argument).

A *post* is one line of the plan (an observer at a station, or a mobile team
over a district or region) with its shift as two UTC instants. What the
observer sent from there up to the clock time is summed up in an `Activity`.
Each post is then in one state:

- `planned`: no arrival yet, and the shift has not been running for
  `missing_after` (or no shift is known);
- `missing`: no arrival, `missing_after` or more after the shift's start;
- `arrived`: arrived and nothing sent since the arrival;
- `reporting`: arrived and something sent since (all quiet, a report);
- `silent`: arrived and nothing sent for `silent_after`, counted only while
  the shift runs (from its start at the earliest);
- `left`: checked out ("left") after the last arrival.

A station's state is the best of its posts' (reporting, arrived, silent,
missing, left, planned, in that order), so a station with one silent and one
reporting observer is covered. An observer's state is the state of the post
the plan has them at now: the one they are present at, else the one whose
shift runs, else the next to start, else their first.
"""

import datetime as dt
import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


class State(enum.StrEnum):
    PLANNED = "planned"
    MISSING = "missing"
    ARRIVED = "arrived"
    REPORTING = "reporting"
    SILENT = "silent"
    LEFT = "left"


# Which post speaks for a station: the best covered first.
STATION_RANK = {State.REPORTING: 5, State.ARRIVED: 4, State.SILENT: 3, State.MISSING: 2, State.LEFT: 1, State.PLANNED: 0}
PRESENT = frozenset({State.ARRIVED, State.REPORTING, State.SILENT})


@dataclass(frozen=True)
class Thresholds:
    silent_after: dt.timedelta
    missing_after: dt.timedelta


class Post(NamedTuple):
    """One line of the plan. `station_id` is None for a mobile team, whose
    activity is everything the observer sent in the election. (A named
    tuple, like the other per-post records here: a plan has 10,000 lines,
    and a tuple is built several times faster than a frozen dataclass.)"""

    observer_id: int
    public_code: str
    station_id: int | None
    station_code: str
    region_code: str
    position: int
    shift: tuple[dt.datetime, dt.datetime] | None
    latitude: float | None = None
    longitude: float | None = None
    zone: str = "UTC"  # the station's (or the mobile team's region's) IANA zone


class Activity(NamedTuple):
    """What one observer sent from one post up to the clock time (rejected
    submissions left out): the latest arrival, the latest "left", the latest
    submission of any kind, and the latest that was not an arrival."""

    last_arrived_at: dt.datetime | None = None
    last_left_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    last_other_at: dt.datetime | None = None

    def merged(self, other: "Activity") -> "Activity":
        def latest(a, b):
            return b if a is None or (b is not None and b > a) else a

        return Activity(
            last_arrived_at=latest(self.last_arrived_at, other.last_arrived_at),
            last_left_at=latest(self.last_left_at, other.last_left_at),
            last_at=latest(self.last_at, other.last_at),
            last_other_at=latest(self.last_other_at, other.last_other_at),
        )


NOTHING = Activity()


class PostState(NamedTuple):
    state: State
    # Since when the state holds where that matters: silent since the last
    # submission (or the shift's start), missing since the shift's start plus
    # the grace, left since the check-out.
    since: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class LastSeen:
    """An observer's latest submission anywhere in the election."""

    at: dt.datetime
    station_code: str
    distance_m: float | None  # from the fix to that station; None without a fix


@dataclass(frozen=True, slots=True)
class Contact:
    """The latest contact attempt with an observer."""

    outcome: str  # reached / unreachable / note
    at: dt.datetime
    text: str = ""
    by: str = ""


@dataclass(slots=True)
class ObserverCoverage:
    public_code: str
    observer_id: int
    state: State
    since: dt.datetime | None
    station_code: str  # the post the state is about ("" for a mobile team)
    region_code: str
    shift_start: dt.datetime | None
    shift_end: dt.datetime | None
    last_seen: LastSeen | None
    next_shift_station: str = ""
    next_shift_start: dt.datetime | None = None
    contact: Contact | None = None
    unreachable: bool = False
    zone: str = "UTC"

    def silent_for(self, now: dt.datetime) -> dt.timedelta | None:
        return now - self.since if self.state == State.SILENT and self.since else None


@dataclass
class Counts:
    planned: int = 0
    arrived: int = 0
    reporting: int = 0
    silent: int = 0
    missing: int = 0

    def add(self, state: State, arrived: bool, n: int = 1) -> None:
        self.planned += n
        self.arrived += arrived * n
        self.reporting += (state == State.REPORTING) * n
        self.silent += (state == State.SILENT) * n
        self.missing += (state == State.MISSING) * n


@dataclass
class Coverage:
    as_of: dt.datetime
    totals: Counts
    regions: list[tuple[str, Counts]]
    observers: list[ObserverCoverage]
    # station id -> (state, arrived): the map's points.
    stations: dict[int, tuple[State, bool]] = field(default_factory=dict)
    # The map's points, filled by the service when asked (station coordinates and state).
    points: list[dict] = field(default_factory=list)
    # Set by the service when the observers' last submissions were left
    # unread: what it needs to read them for a few rows later.
    unread_last_seen: tuple | None = None


def post_state(*, shift, activity: Activity, now: dt.datetime, thresholds: Thresholds) -> PostState:
    """The state of one post at `now` (see the module's docstring)."""
    return _post_state(shift, activity, now, thresholds.silent_after, thresholds.missing_after)


def _post_state(shift, activity: Activity, now: dt.datetime, silent_after: dt.timedelta, missing_after: dt.timedelta) -> PostState:
    # Positional: called for each of the plan's 10,000 lines.
    arrived = activity.last_arrived_at
    if arrived is not None and activity.last_left_at is not None and activity.last_left_at >= arrived:
        return PostState(State.LEFT, activity.last_left_at)
    if arrived is None:
        if shift is not None and now >= shift[0] + missing_after:
            return PostState(State.MISSING, shift[0])
        return PostState(State.PLANNED)
    quiet_from = activity.last_at or arrived
    if shift is not None:
        quiet_from = max(quiet_from, shift[0])
    in_shift = shift is None or shift[0] <= now < shift[1]
    if in_shift and now - quiet_from >= silent_after:
        return PostState(State.SILENT, quiet_from)
    if activity.last_other_at is not None and activity.last_other_at > arrived:
        return PostState(State.REPORTING, activity.last_other_at)
    return PostState(State.ARRIVED, arrived)


# The states of a post that has an arrival (the others: missing, planned).
_HAS_ARRIVED = frozenset({State.LEFT, State.SILENT, State.REPORTING, State.ARRIVED})


def _current_post(posts: list[Post], states: list[PostState], now: dt.datetime) -> int:
    """Index of the post an observer's state is about."""
    present = [i for i, s in enumerate(states) if s.state in PRESENT]
    if present:
        return present[0]
    running = [i for i, p in enumerate(posts) if p.shift and p.shift[0] <= now < p.shift[1]]
    if running:
        return running[0]
    upcoming = sorted((p.shift[0], i) for i, p in enumerate(posts) if p.shift and now < p.shift[0])
    return upcoming[0][1] if upcoming else 0


def _unreachable(contact: Contact | None, last_checkin_at: dt.datetime | None) -> bool:
    """`unreachable` holds until the observer's next check-in."""
    return contact is not None and contact.outcome == "unreachable" and (last_checkin_at is None or last_checkin_at <= contact.at)


def coverage_compute(
    *,
    posts: Iterable[Post],
    activity: Mapping[tuple[int, int | None], Activity],
    last_seen: Mapping[int, LastSeen],
    last_checkin: Mapping[int, dt.datetime],
    contacts: Mapping[int, Contact],
    now: dt.datetime,
    thresholds: Thresholds,
) -> Coverage:
    """Coverage at `now`. `activity` is keyed by (observer id, station id);
    a mobile team's post reads (observer id, None), everything they sent."""
    by_observer: dict[int, list[Post]] = defaultdict(list)
    for post in posts:
        by_observer[post.observer_id].append(post)
    stations: dict[int, tuple[State, bool]] = {}
    station_region: dict[int, str] = {}
    observers = []
    silent_after, missing_after = thresholds.silent_after, thresholds.missing_after
    for observer_id, own in by_observer.items():
        if len(own) > 1:
            own.sort(key=lambda p: (p.position, p.station_code))
        states = [_post_state(p.shift, activity.get((observer_id, p.station_id), NOTHING), now, silent_after, missing_after) for p in own]
        for post, state in zip(own, states, strict=True):
            station_id = post.station_id
            if station_id is None:
                continue
            best, arrived = stations.get(station_id, (State.PLANNED, False))
            if STATION_RANK[state.state] > STATION_RANK[best]:
                best = state.state
            stations[station_id] = (best, arrived or state.state in _HAS_ARRIVED)
            station_region[station_id] = post.region_code
        current = _current_post(own, states, now)
        post, state = own[current], states[current]
        upcoming = sorted((p.shift[0], p.station_code) for p in own if p.shift and now < p.shift[0])
        contact = contacts.get(observer_id)
        observers.append(
            ObserverCoverage(
                public_code=post.public_code,
                observer_id=observer_id,
                state=state.state,
                since=state.since,
                station_code=post.station_code,
                region_code=post.region_code,
                shift_start=post.shift[0] if post.shift else None,
                shift_end=post.shift[1] if post.shift else None,
                last_seen=last_seen.get(observer_id),
                next_shift_station=upcoming[0][1] if upcoming else "",
                next_shift_start=upcoming[0][0] if upcoming else None,
                contact=contact,
                unreachable=_unreachable(contact, last_checkin.get(observer_id)),
                zone=post.zone,
            )
        )
    # Count (region, state, arrived) triples first: a handful of distinct ones for 10,000 stations.
    tally = Counter((station_region[station_id], state, arrived) for station_id, (state, arrived) in stations.items())
    totals, regions = Counts(), defaultdict(Counts)
    for (region, state, arrived), n in tally.items():
        totals.add(state, arrived, n)
        regions[region].add(state, arrived, n)
    observers.sort(key=lambda o: o.public_code)
    return Coverage(as_of=now, totals=totals, regions=sorted(regions.items()), observers=observers, stations=stations)


def silent_now(coverage: Coverage) -> list[ObserverCoverage]:
    """Observers silent at the coverage's time, the longest silent first."""
    silent = [o for o in coverage.observers if o.state == State.SILENT]
    return sorted(silent, key=lambda o: (o.since, o.public_code))
