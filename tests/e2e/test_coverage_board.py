"""The coverage board in a real browser (headless Chromium): the totals, the
observers' table with the "silent now" filter, the plan's stations drawn on
the board's map without tiles, and the same points as a layer of the
situation map; a coordinator records an unreachable call from the
observer's page. No Content-Security-Policy violation. Saves the board's
screenshot (docs/screenshots/coverage-board.png with E2E_DOCS_SCREENSHOTS)."""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone

from testkit.factories import CheckInFactory, DeploymentFactory, IncidentReportFactory, PollingStationFactory, make_observer
from tests.conftest import PASSWORD

from .conftest import save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def coordinator_page(live_server, world):
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (make browser)", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        context.set_default_timeout(15000)
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "coordinator")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(re.compile(r".*/admin/$"))
        page.problems = problems
        yield page
        browser.close()


def election_day(world):
    """A plan running now (no shifts: watched from the arrival), nine observers in every state."""
    now = timezone.now()
    org = world.coordinator.organization
    stations = [world.station, world.station_far, world.station_west] + [
        PollingStationFactory(
            election=world.election, district=world.station.district, code=f"0210{i}", latitude=43.23 + i / 100, longitude=76.88 + i / 50
        )
        for i in range(6)
    ]
    people = [world.observer, world.observer_2] + [make_observer(org, "observer", f"observer-{i + 3}") for i in range(7)]
    world.observer.deployments.all().delete()
    story = [
        (-200, "silent"),
        (-130, "silent"),
        (-40, "reporting"),
        (-15, "arrived"),
        (None, "planned"),
        (-300, "left"),
        (-95, "silent"),
        (-5, "reporting"),
        (-60, "reporting"),
    ]
    for person, station, (minutes, state) in zip(people, stations, story, strict=True):
        DeploymentFactory(observer=person, election=world.election, station=station)
        if minutes is None:
            continue
        arrived = now + dt.timedelta(minutes=minutes)
        CheckInFactory(election=world.election, station=station, submitted_by=person, occurred_at=arrived)
        if state == "reporting":
            IncidentReportFactory(
                election=world.election, station=station, submitted_by=person, occurred_at=arrived + dt.timedelta(minutes=3)
            )
        if state == "left":
            CheckInFactory(
                election=world.election,
                station=station,
                submitted_by=person,
                checkin_kind="left",
                occurred_at=arrived + dt.timedelta(hours=4),
            )
    return people


def test_the_board_shows_coverage_and_a_coordinator_records_an_unreachable_call(world, live_server, coordinator_page, settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens: every tile fails
    people = election_day(world)
    page = coordinator_page

    page.goto(f"{live_server.url}/admin/command/contactattempt/board/?election={world.election.code}")
    page.wait_for_selector("#coverage-map[data-points-loaded='9']")
    totals = page.inner_text("#coverage-totals")
    assert re.search(r"9\s+stations planned", totals) and re.search(r"3\s+silent", totals)
    assert page.locator("#coverage-observers tbody tr").count() == 9
    save_screenshot(page, "coverage-board")

    page.click(".coverage-filters a[data-filter=silent]")
    rows = page.locator("#coverage-observers tbody tr")
    assert [rows.nth(i).get_attribute("data-observer") for i in range(rows.count())] == [
        people[0].public_code,
        people[1].public_code,
        people[6].public_code,
    ]  # longest silent first

    rows.nth(0).locator("a").click()
    page.wait_for_selector("#contact-form")
    page.check("input[name=outcome][value=unreachable]")
    page.fill("textarea[name=text]", "No answer, twice.")
    page.click("#contact-form button[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "No answer, twice." in page.inner_text("#contact-log")
    assert "unreachable" in page.inner_text("#observer-state")

    # The same points as a layer of the situation map.
    page.goto(f"{live_server.url}/admin/reports/submission/situation/?election={world.election.code}")
    page.locator(".leaflet-control-layers-overlays input").check()
    page.wait_for_selector("#situation-map[data-coverage-loaded='9']")
    assert not [p for p in page.problems if "Content Security Policy" in p or "Refused" in p], page.problems
