"""Time at a polling station. Everything is stored in UTC; rules and pages use
the station's own IANA zone *as of that moment* (Kazakhstan's regions were on
UTC+5 and UTC+6 in 2021 and moved to a single zone in 2024; fixed offsets
would be wrong for one period or the other).

None of these helpers crashes on a moment `datetime` can hold, even within
hours of year 1 or 9999, where the same instant in another zone may fall
outside `datetime`'s range (intake refuses such incident times, but a page
must still show whatever is stored)."""

import datetime as dt
import zoneinfo

# The Gregorian calendar repeats every 400 years (146,097 days, a whole number
# of weeks): a moment next to datetime's limits is converted 400 years away
# from them, and the year of the text shifted back.
_CALENDAR_CYCLE_YEARS = 400


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def to_local(moment: dt.datetime, zone_name: str) -> dt.datetime:
    """The moment on the zone's clock; where that clock would read a year
    `datetime` cannot hold, the same instant in its own offset."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: refusing to guess its zone")
    try:
        return moment.astimezone(zone(zone_name))
    except OverflowError:
        return moment


def local_to_utc(local_date: dt.date, local_time: dt.time, zone_name: str) -> dt.datetime:
    """The UTC instant of a wall-clock time at a place (e.g. polls opening);
    the aware local time (the same instant) where UTC would leave datetime's years."""
    local = dt.datetime.combine(local_date, local_time, tzinfo=zone(zone_name))
    try:
        return local.astimezone(dt.UTC)
    except OverflowError:
        return local


def _iso_in(moment: dt.datetime, tz: dt.tzinfo, *, offset: bool) -> str:
    """ISO 8601 text of `moment` on `tz`'s clock (microseconds only when
    present), exact even when that clock reads year 0 or 10000."""
    shift = 0
    try:
        converted = moment.astimezone(tz)
    except OverflowError:
        shift = _CALENDAR_CYCLE_YEARS if moment.year > dt.MAXYEAR // 2 else -_CALENDAR_CYCLE_YEARS
        converted = moment.replace(year=moment.year - shift).astimezone(tz)
    spec = "microseconds" if converted.microsecond else "seconds"
    text = (converted if offset else converted.replace(tzinfo=None)).isoformat(timespec=spec)
    if shift:
        year, rest = text.split("-", 1)
        text = f"{int(year) + shift:04d}-{rest}"
    return text


def format_utc(moment: dt.datetime) -> str:
    """Canonical UTC text used in hashes and exports: 2021-01-10T02:15:00Z
    (microseconds only when present)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return _iso_in(moment, dt.UTC, offset=False) + "Z"


def format_local(moment: dt.datetime, zone_name: str) -> str:
    """Local time with its offset, e.g. 2021-01-10T08:15:00+06:00."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: refusing to guess its zone")
    return _iso_in(moment, zone(zone_name), offset=True)


def shift_window(day: dt.date, start: dt.time, end: dt.time, zone_name: str) -> tuple[dt.datetime, dt.datetime]:
    """A deployment's shift as two UTC instants: wall-clock `start` and `end`
    at the station on `day`; an end at or before the start is the next day's
    (a night shift through the count)."""
    end_day = day + dt.timedelta(days=1) if end <= start else day
    return local_to_utc(day, start, zone_name), local_to_utc(end_day, end, zone_name)
