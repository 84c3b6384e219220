"""The situation page: counts, charts, flags by code and the map's points,
scoped to the user; CSP-friendly (no inline script) with the tile host allowed."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.admin.situation_page import tile_csp
from reports.models import ChainHead
from tests.filing import file_report

SITUATION = "/admin/reports/submission/situation/"
POINTS = "/admin/reports/submission/situation/points.json"


@pytest.fixture
def reports(world):
    return [
        file_report(world, category="ballot_stuffing"),  # critical, escalated
        file_report(world, category="ballot_stuffing", photos=1),
        file_report(world, station=world.station_far, observer=world.observer_2, gps=None),
        file_report(world, station=world.station_west, gps=(50.28, 57.2071, 12.0)),
        file_report(world, observer=world.other_observer, category="violence"),  # another organization
    ]


def test_counts_and_charts_for_the_coordinators_organization(world, reports, admin_as):
    response = admin_as(world.coordinator).get(SITUATION)
    assert response.status_code == 200
    situation = response.context["situation"]

    assert situation.counts["total"] == 4  # not the other organization's report
    assert situation.counts["open_critical"] == 2
    assert situation.counts["escalated"] == 2
    assert situation.counts["new"] == 2
    assert {bar.label: bar.value for bar in situation.by_region.bars} == {"Almaty city": 2, "Nur-Sultan city": 1, "Aktobe Region": 1}
    assert sum(bar.value for bar in situation.by_hour.bars) == 4
    # All filed at 09:30 Almaty time (UTC+6); Aktobe's clock (UTC+5 in 2021) read 08:30.
    assert {bar.label: bar.value for bar in situation.by_hour.bars if bar.value} == {"08:00": 1, "09:00": 3}
    # Two critical reports that tell the same story at one station (duplicates); the
    # observer "at" Almaty and Aktobe in the same minute (impossible travel, on all
    # three of their reports); each observer once where they are not deployed.
    assert {f["code"]: f["n"] for f in situation.flags} == {
        "critical_category": 2,
        "duplicate": 2,
        "impossible_travel": 3,
        "no_location": 1,
        "not_deployed": 2,
    }
    html = response.content.decode()
    assert "<svg" in html and 'href="/admin/reports/submission/?kind=incident&amp;election=kz-test-2021&amp;region=almaty"' in html
    assert situation.chain_heads == []  # every organization's chains: not shown to one


def test_superusers_see_everything_and_the_chain_heads(world, reports, admin_as):
    situation = admin_as(world.superuser).get(SITUATION).context["situation"]
    assert situation.counts["total"] == 5
    assert situation.chain_heads == list(ChainHead.objects.filter(election=world.election).order_by("organization__name", "kind"))
    assert situation.chain_heads


def test_map_points_are_stations_scoped_to_the_user(world, reports, admin_as):
    body = json.loads(admin_as(world.coordinator).get(POINTS).content)
    points = {p["station"]: p for p in body["points"]}
    assert set(points) == {"02001", "05001", "13001"}
    assert points["02001"]["reports"] == 2 and points["02001"]["critical"] == 2
    assert (points["02001"]["lat"], points["02001"]["lon"]) == (world.station.latitude, world.station.longitude)
    assert points["02001"]["href"].endswith("?kind=incident&election=kz-test-2021&station=02001")


def test_page_has_no_inline_script_and_allows_only_the_tile_host(world, reports, admin_as, settings):
    html_response = admin_as(world.coordinator).get(SITUATION)
    html = html_response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html
    policy = html_response["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in policy
    assert "'unsafe-inline'" not in policy

    queue_policy = admin_as(world.coordinator).get("/admin/reports/submission/")["Content-Security-Policy"]
    assert "tile.openstreetmap.org" not in queue_policy


def test_tile_host_follows_the_setting(settings):
    settings.MAP_TILE_URL = "https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png"
    assert tile_csp() == {"img-src": ["https://*.tiles.example.org"]}
    settings.MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"  # served by ourselves: 'self' covers it
    assert tile_csp() == {}


def test_the_refresh_fragment_is_just_the_live_part(world, reports, admin_as):
    html = admin_as(world.coordinator).get(SITUATION + "?fragment=1").content.decode()
    assert 'class="counters"' in html and "<html" not in html and "situation-map" not in html


def test_unknown_election_is_404_and_observers_have_no_access(world, reports, admin_as):
    assert admin_as(world.coordinator).get(SITUATION + "?election=nope").status_code == 404
    assert admin_as(world.observer).get(SITUATION).status_code == 302


def test_situation_queries_do_not_grow_with_reports(world, admin_as, queue_of):
    queue_of(20, seed=1)
    client = admin_as(world.coordinator)

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = count(SITUATION), count(POINTS)
    queue_of(480, seed=2)
    assert (count(SITUATION), count(POINTS)) == small


def test_the_page_shows_the_pipeline_lag_and_the_queue(world, admin_as):
    waiting = file_report(world, process=False)  # received, not processed: the pipeline is behind
    type(waiting).objects.filter(pk=waiting.pk).update(received_at=waiting.received_at - dt.timedelta(seconds=90))
    response = admin_as(world.coordinator).get(SITUATION + "?fragment=1")
    health = response.context["pipeline"]
    assert health.waiting == 1 and 90 <= health.oldest_waiting_s < 200
    assert response.context["queue_depth"] is None  # the embedded mode has no broker: shown as "?"
    html = response.content.decode()
    assert "pipeline lag" in html and "queued tasks" in html
