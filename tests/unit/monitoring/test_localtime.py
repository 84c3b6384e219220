"""The time helpers (monitoring.localtime) are total: any moment Python can
represent is formatted and converted, also beyond the years datetime can hold
in UTC."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.localtime import format_local, format_utc, local_to_utc, to_local

ZONES = ["Asia/Almaty", "Asia/Aqtobe", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "UTC"]


offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


any_aware = st.builds(lambda moment, tz: moment.replace(tzinfo=tz), st.datetimes(), offsets)


@given(moment=any_aware, zone=st.sampled_from(ZONES))
def test_time_helpers_never_crash_on_a_representable_moment(moment, zone):
    text = format_utc(moment)
    assert text.endswith("Z")
    local = to_local(moment, zone)
    assert local == moment  # the same instant, whatever offset it could be shown in
    assert format_local(moment, zone)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=6))), "0000-12-31T18:00:00Z"),
        (dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), "10000-01-01T04:00:00Z"),
        (dt.datetime(2021, 1, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=6))), "2021-01-10T03:30:00Z"),
    ],
)
def test_format_utc_is_exact_beyond_the_years_datetime_can_hold(moment, text):
    assert format_utc(moment) == text


def test_local_to_utc_at_the_edge_of_the_calendar_is_the_same_instant():
    almaty = zoneinfo.ZoneInfo("Asia/Almaty")
    assert local_to_utc(dt.date(1, 1, 1), dt.time(0, 0), "Asia/Almaty") == dt.datetime(1, 1, 1, tzinfo=almaty)
    assert local_to_utc(dt.date(2021, 1, 10), dt.time(8, 0), "Asia/Almaty") == dt.datetime(2021, 1, 10, 2, 0, tzinfo=dt.UTC)
