"""Time at a polling station. Everything is stored in UTC; rules and pages use
the station's own IANA zone *as of that moment* (Kazakhstan's regions were on
UTC+5 and UTC+6 in 2021 and moved to a single zone in 2024; fixed offsets
would be wrong for one period or the other)."""

import datetime as dt
import zoneinfo


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def to_local(moment: dt.datetime, zone_name: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: refusing to guess its zone")
    return moment.astimezone(zone(zone_name))


def local_to_utc(local_date: dt.date, local_time: dt.time, zone_name: str) -> dt.datetime:
    """The UTC instant of a wall-clock time at a place (e.g. polls opening)."""
    return dt.datetime.combine(local_date, local_time, tzinfo=zone(zone_name)).astimezone(dt.UTC)


def format_utc(moment: dt.datetime) -> str:
    """Canonical UTC text used in hashes and exports: 2021-01-10T02:15:00Z
    (microseconds only when present)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    moment = moment.astimezone(dt.UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def format_local(moment: dt.datetime, zone_name: str) -> str:
    """Local time with its offset, e.g. 2021-01-10T08:15:00+06:00."""
    local = to_local(moment, zone_name)
    spec = "microseconds" if local.microsecond else "seconds"
    return local.isoformat(timespec=spec)
