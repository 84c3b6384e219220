"""The reads coverage is computed from, each one query whatever the size of
the plan: the plan's posts, what each observer sent from each post (summed up
in SQL), each observer's latest submission, and the latest contact attempts.

`organization_id` scopes every read (None: every organization, for those who
see them all); `now` is the clock time the coverage is computed at, so only
what happened up to then counts."""

import datetime as dt
from functools import lru_cache, partial

from django.db import connection
from django.db.models import CharField, FloatField, Func, Max, Q
from django.db.models.functions import Cast

from monitoring.geo import haversine_m
from monitoring.localtime import shift_window
from monitoring.models import Deployment, Election, Observer, PollingStation
from reports.models import ReportState, Submission, SubmissionKind

from .coverage import Activity, Contact, LastSeen, Post
from .models import ContactAttempt, PostActivity


class _Epoch(Func):
    """A timestamp as seconds since 1970 (a float8): psycopg reads a float
    several times faster than it parses a timestamp, and the exact instant
    survives the round trip (microseconds fit a double at these magnitudes)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()


def _instant(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


@lru_cache(maxsize=256)
def _shift(day: dt.date, start: str, end: str, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """A shift from its wall-clock times as text: a plan has a handful of
    distinct shifts, so each is parsed and placed in its zone once."""
    return shift_window(day, dt.time.fromisoformat(start), dt.time.fromisoformat(end), zone)


def _fetch(qs) -> list[tuple]:
    """The rows of a values_list query; on PostgreSQL straight from the
    cursor, without the ORM's per-row converters (the columns read here need
    none there)."""
    if connection.vendor != "postgresql":
        return list(qs)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scoped(qs, organization_id, field: str):
    return qs if organization_id is None else qs.filter(**{field: organization_id})


def plan_posts(*, election: Election, organization_id: int | None) -> list[Post]:
    """Every line of the plan of the election's active observers."""
    rows = _scoped(
        Deployment.objects.filter(election=election, observer__user__is_active=True), organization_id, "observer__organization_id"
    ).order_by().annotate(  # unordered: the deployments' default order is a 10,000-row text sort nobody reads
        start=Cast("shift_start", CharField()), end=Cast("shift_end", CharField())
    ).values_list(
        "observer_id",
        "observer__public_code",
        "station_id",
        "station__code",
        "station__latitude",
        "station__longitude",
        "position",
        "start",
        "end",
        "station__district__region__code",
        "station__district__region__timezone",
        "district__region__code",
        "district__region__timezone",
        "region__code",
        "region__timezone",
    )
    posts = []
    day = election.voting_day
    for (
        observer_id,
        code,
        station_id,
        station_code,
        lat,
        lon,
        position,
        start,
        end,
        s_region,
        s_zone,
        d_region,
        d_zone,
        r_region,
        r_zone,
    ) in _fetch(rows):
        region_code, zone = (
            (s_region, s_zone) if s_region is not None else (d_region, d_zone) if d_region is not None else (r_region, r_zone)
        )
        shift = _shift(day, start, end, zone) if start is not None else None
        # Positional, in Post's field order: 10,000 of these per reading.
        posts.append(Post(observer_id, code, station_id, station_code or "", region_code, position, shift, lat, lon, zone))
    return posts


def _counted(*, election: Election, organization_id: int | None, now: dt.datetime):
    """Submissions that count for coverage: up to `now`, not rejected by the pipeline."""
    qs = Submission.objects.filter(election=election, occurred_at__lte=now).exclude(state=ReportState.REJECTED)
    return _scoped(qs, organization_id, "organization_id")


def activity_by_post(
    *, election: Election, organization_id: int | None, now: dt.datetime, mobile: set[int]
) -> dict[tuple[int, int | None], Activity]:
    """(observer, station) -> Activity; the observers of `mobile` (mobile
    teams) also get (observer, None), all their stations together. On
    PostgreSQL from the kept rows (`PostActivity`, one per post sent from)
    when nothing counted happened after `now`, else (a replay of the day, or
    SQLite) one aggregate over the submissions. Three timestamps a row (the
    latest of anything is the later of the latest arrival and the latest
    other), read on PostgreSQL as epoch numbers: parsing timestamps was most
    of the cost of this read."""
    if connection.vendor == "postgresql":
        kept = _kept_activity(election=election, organization_id=organization_id, now=now, mobile=mobile)
        if kept is not None:
            return kept
    epoch = connection.vendor == "postgresql"
    read, instant = (_Epoch, _utc) if epoch else (lambda e: e, lambda t: t)
    rows = (
        _counted(election=election, organization_id=organization_id, now=now)
        .values_list("submitted_by_id", "station_id")
        .annotate(
            arrived=read(Max("occurred_at", filter=Q(checkin_kind="arrived"))),
            left=read(Max("occurred_at", filter=Q(checkin_kind="left"))),
            other=read(Max("occurred_at", filter=Q(checkin_kind__isnull=True) | ~Q(checkin_kind="arrived"))),
        )
        .order_by()
    )
    return _activities(_fetch(rows) if epoch else rows, instant, mobile)


_utc = partial(dt.datetime.fromtimestamp, tz=dt.UTC)


def _kept_activity(*, election: Election, organization_id: int | None, now: dt.datetime, mobile: set[int]):
    """`activity_by_post` from the rows the triggers keep (command 0002), or
    None when a kept time is after `now`: the rows hold the latest of
    everything, so only a reading at or after all of it may use them."""
    table = PostActivity._meta.db_table
    where = "election_id = %(election)s" + ("" if organization_id is None else " AND organization_id = %(organization)s")
    params = {"election": election.pk, "organization": organization_id, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where} AND (last_arrived_at > %(now)s OR last_other_at > %(now)s))", params)
        if cursor.fetchone()[0]:
            return None
        cursor.execute(
            f"""SELECT observer_id, station_id, EXTRACT(EPOCH FROM last_arrived_at)::float8,
                       EXTRACT(EPOCH FROM last_left_at)::float8, EXTRACT(EPOCH FROM last_other_at)::float8
                FROM {table} WHERE {where} AND (last_arrived_at IS NOT NULL OR last_other_at IS NOT NULL)""",
            params,
        )
        rows = cursor.fetchall()
    return _activities(rows, _utc, mobile)


def _activities(rows, instant, mobile: set[int]) -> dict[tuple[int, int | None], Activity]:
    activity: dict[tuple[int, int | None], Activity] = {}
    for observer_id, station_id, arrived_s, left_s, other_s in rows:
        arrived = None if arrived_s is None else instant(arrived_s)
        other = None if other_s is None else instant(other_s)
        last = arrived if other is None or (arrived is not None and arrived_s > other_s) else other
        # Positional, in Activity's field order (arrived, left, last, other).
        here = Activity(arrived, None if left_s is None else instant(left_s), last, other)
        key = (observer_id, station_id)
        if key in activity:  # kept rows of one observer under two organizations, read for everyone
            here = activity[key].merged(here)
        activity[key] = here
        if observer_id in mobile:
            activity[(observer_id, None)] = activity.get((observer_id, None), here).merged(here)
    return activity


def last_checkins(*, election: Election, organization_id: int | None, now: dt.datetime, observer_ids) -> dict[int, dt.datetime]:
    """The latest check-in of each of `observer_ids` (those marked unreachable: few)."""
    if not observer_ids:
        return {}
    rows = (
        _counted(election=election, organization_id=organization_id, now=now)
        .filter(kind=SubmissionKind.CHECKIN, submitted_by_id__in=list(observer_ids))
        .values_list("submitted_by_id")
        .annotate(last=Max("occurred_at"))
        .order_by()
    )
    return dict(rows)


def last_seen_of(
    *, election: Election, organization_id: int | None, now: dt.datetime, latest: dict[int, dt.datetime]
) -> dict[int, LastSeen]:
    """Each observer's latest submission, given when it happened (`latest`,
    from the activity aggregate): one index probe per observer on
    (submitted_by, occurred_at), the last received winning a tie."""
    if not latest:
        return {}
    if connection.vendor != "postgresql":
        return _last_seen_portable(election=election, organization_id=organization_id, now=now, latest=latest)
    table = Submission._meta.db_table
    scope = "" if organization_id is None else "AND s.organization_id = %(organization)s"
    sql = f"""
        SELECT s.submitted_by_id, EXTRACT(EPOCH FROM s.occurred_at)::float8, st.code, s.latitude, s.longitude, st.latitude, st.longitude
        FROM unnest(%(observers)s::integer[]) AS o(id)
        CROSS JOIN LATERAL (
            SELECT x.submitted_by_id, x.occurred_at, x.station_id, x.latitude, x.longitude
            FROM {table} x
            WHERE x.submitted_by_id = o.id AND x.election_id = %(election)s AND x.occurred_at <= %(now)s
              AND x.state <> %(rejected)s {scope.replace("s.", "x.")}
            ORDER BY x.occurred_at DESC, x.received_at DESC
            LIMIT 1
        ) s
        JOIN {PollingStation._meta.db_table} st ON st.id = s.station_id
    """
    params = {"observers": list(latest), "election": election.pk, "now": now, "rejected": ReportState.REJECTED, "organization": organization_id}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    seen = {}
    for observer_id, at, station_code, lat, lon, station_lat, station_lon in rows:
        distance = haversine_m(lat, lon, station_lat, station_lon) if lat is not None else None
        seen[observer_id] = LastSeen(at=_instant(at), station_code=station_code, distance_m=distance)
    return seen


def _last_seen_portable(*, election, organization_id, now, latest: dict[int, dt.datetime]) -> dict[int, LastSeen]:
    """`last_seen_of` for databases without LATERAL (SQLite in development)."""
    rows = (
        _counted(election=election, organization_id=organization_id, now=now)
        .filter(submitted_by_id__in=list(latest), occurred_at__in=set(latest.values()))
        .values_list("submitted_by_id", "occurred_at", "station__code", "latitude", "longitude", "station__latitude", "station__longitude")
        .order_by("received_at")
    )
    seen = {}
    for observer_id, at, station_code, lat, lon, station_lat, station_lon in rows:
        if latest.get(observer_id) != at:
            continue  # another observer's latest moment
        distance = haversine_m(lat, lon, station_lat, station_lon) if lat is not None else None
        seen[observer_id] = LastSeen(at=at, station_code=station_code, distance_m=distance)  # the last received wins a tie
    return seen


def latest_contacts(*, election: Election, organization_id: int | None, now: dt.datetime) -> dict[int, Contact]:
    """Each observer's latest contact attempt up to `now` (the log is small: a few per observer)."""
    rows = _scoped(ContactAttempt.objects.filter(election=election, at__lte=now), organization_id, "observer__organization_id")
    latest = {}
    for observer_id, outcome, at, text, by_code, by_id in rows.order_by("at", "id").values_list(
        "observer_id", "outcome", "at", "text", "recorded_by__observer__public_code", "recorded_by_id"
    ):
        latest[observer_id] = Contact(outcome=outcome, at=at, text=text, by=by_code or f"USER-{by_id}")
    return latest


def contact_log(*, observer: Observer, election: Election | None = None):
    """An observer's contact attempts, newest first."""
    qs = ContactAttempt.objects.filter(observer=observer).select_related("recorded_by__observer", "election")
    return qs.filter(election=election) if election is not None else qs
