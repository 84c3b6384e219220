"""The check-in buttons on the observer's first screen: which station the plan
puts them at, and which buttons show at a given clock time (the clock is the
tests' argument, never frozen in the code)."""

import datetime as dt
import json

import pytest

from monitoring.localtime import shift_window
from monitoring.models import Deployment
from reports.selectors import checkin_state
from reports.views.checkin import checkin_panel
from testkit.factories import ALMATY, DistrictFactory, PollingStationFactory
from tests.filing import file_checkin


def at(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2021, 1, day, hour, minute, tzinfo=ALMATY)


def buttons(panel) -> set[str]:
    return {name for name in ("arrived", "quiet", "leaving") if panel[f"show_{name}"]}


def test_a_night_shift_ends_the_next_morning():
    start, end = shift_window(dt.date(2021, 1, 10), dt.time(20, 0), dt.time(2, 0), "Asia/Almaty")
    assert (start, end) == (at(20), at(2, day=11))
    # Aktobe was UTC+5 in January 2021.
    assert shift_window(dt.date(2021, 1, 10), dt.time(7, 0), dt.time(14, 0), "Asia/Aqtobe")[0] == dt.datetime(
        2021, 1, 10, 2, 0, tzinfo=dt.UTC
    )


def test_no_station_in_the_plan_no_buttons(world):
    Deployment.objects.filter(observer=world.observer).update(station=None, district=world.station.district)
    assert checkin_panel(observer=world.observer, election=world.election, now=at(8)) is None
    assert checkin_panel(observer=world.observer, election=None, now=at(8)) is None


def test_arrived_then_all_quiet_and_leaving_without_a_shift(world):
    panel = checkin_panel(observer=world.observer, election=world.election, now=at(7))
    assert panel["state"].station == world.station and buttons(panel) == {"arrived"}
    assert panel["data"]["last"] is None and panel["data"]["leavingFrom"] is None

    file_checkin(world, occurred_at=at(7, 5))
    panel = checkin_panel(observer=world.observer, election=world.election, now=at(7, 6))
    assert buttons(panel) == {"quiet", "leaving"}
    assert (panel["last_label"], panel["last_local"]) == ("arrived", "07:05")

    file_checkin(world, kind="all_quiet", occurred_at=at(9))
    assert buttons(checkin_panel(observer=world.observer, election=world.election, now=at(9, 1))) == {"quiet", "leaving"}

    file_checkin(world, kind="left", occurred_at=at(20, 30))
    assert buttons(checkin_panel(observer=world.observer, election=world.election, now=at(20, 31))) == {"arrived"}


def test_leaving_is_offered_from_half_an_hour_before_the_shift_ends(world):
    Deployment.objects.filter(observer=world.observer).update(shift_start=dt.time(7, 0), shift_end=dt.time(14, 0))
    file_checkin(world, occurred_at=at(7, 5))
    assert buttons(checkin_panel(observer=world.observer, election=world.election, now=at(13, 29))) == {"quiet"}
    panel = checkin_panel(observer=world.observer, election=world.election, now=at(13, 30))
    assert buttons(panel) == {"quiet", "leaving"} and panel["shift_end_local"] == "14:00"
    assert panel["data"]["leavingFrom"] == int(at(13, 30).timestamp() * 1000)


def test_the_plan_station_of_the_shift_that_covers_now_or_comes_next(world):
    second = PollingStationFactory(election=world.election, code="02002", district=world.station.district)
    Deployment.objects.filter(observer=world.observer).update(shift_start=dt.time(7, 0), shift_end=dt.time(14, 0))
    Deployment.objects.create(
        observer=world.observer, election=world.election, station=second, position=1, shift_start=dt.time(14, 0), shift_end=dt.time(21, 0)
    )

    def station(now):
        return checkin_state(observer=world.observer, election=world.election, now=now).station.code

    assert station(at(6)) == "02001"  # before the first shift: the next one
    assert station(at(10)) == "02001"
    assert station(at(15)) == "02002"
    assert station(at(22)) == "02001"  # after every shift: the primary station
    # Arrived at the first station and not left: still there, whatever the plan says.
    file_checkin(world, occurred_at=at(7, 5))
    assert station(at(15)) == "02001"
    file_checkin(world, kind="left", occurred_at=at(14, 2))
    assert station(at(15)) == "02002"


def test_another_elections_or_another_stations_check_ins_do_not_count(world):
    elsewhere = PollingStationFactory(election=world.election, code="02099", district=DistrictFactory(region=world.station.district.region))
    file_checkin(world, station=elsewhere, occurred_at=at(7, 5))
    assert buttons(checkin_panel(observer=world.observer, election=world.election, now=at(7, 6))) == {"arrived"}


@pytest.mark.parametrize("language", ["en", "kk", "ru"])
def test_the_first_screen_shows_the_buttons_in_the_observers_language(world, client, language):
    client.force_login(world.observer.user)
    page = client.get("/reports/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    data = json.loads(page.split('<script id="page-data" type="application/json">')[1].split("</script>")[0])
    assert data["checkin"]["station"] == "02001" and data["api"]["checkins"] == "/api/v1/checkins/"
    arrived = page.split('id="checkin-arrived"')[1].split("</button>")[0]
    quiet = page.split('id="checkin-all-quiet"')[1].split("</button>")[0]
    assert " hidden" not in arrived.split(">")[0] and " hidden" in quiet.split(">")[0]
    label = {"en": "I have arrived at 02001", "kk": "02001", "ru": "02001"}[language]
    assert label in arrived
    if language != "en":
        assert "I have arrived" not in arrived and data["strings"]["checkin_none"] != "No check-in at this station yet."
