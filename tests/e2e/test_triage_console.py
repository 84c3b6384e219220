"""The coordinator's triage flow in a real browser (headless Chromium): queue,
bulk verify, report page with photos and a cleared flag, and the situation
page whose map draws its points although the tile server cannot be reached,
and which refreshes itself. The page must raise no Content-Security-Policy
violation."""

import os
import re

import pytest

from tests.conftest import PASSWORD
from tests.filing import file_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop in the test's thread; the test's
    # own ORM calls are still synchronous, so Django's async guard is relaxed.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (make browser)", pytrace=False)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def coordinator_page(browser, live_server, world):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text or m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/reports/submission/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/reports/submission/$"))
    page.problems = problems
    yield page
    context.close()


def _csp_problems(page):
    return [p for p in page.problems if "Content Security Policy" in p or "Refused" in p]


def test_coordinator_triages_in_the_browser(world, live_server, coordinator_page, settings):
    page = coordinator_page
    stuffing = file_report(world, category="ballot_stuffing", photos=2)
    far = file_report(world, gps=(43.30, 76.95, 12.0), description="Group voting in booth 3.")

    # The queue, worst first, with explained flag badges.
    page.goto(f"{live_server.url}/admin/reports/submission/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert "02001" in rows.nth(0).inner_text()
    badge = page.locator(".flag-badge.sev-high").first
    assert " m) from claimed station" in badge.get_attribute("title")

    # Bulk: verify the second report with a note.
    page.locator(f"input[name=_selected_action][value='{far.pk}']").check()
    page.select_option("select[name=action]", "verify")
    page.fill("input[name=note]", "seen on the photo")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert "1 report(s) verified" in page.inner_text(".messagelist")
    far.refresh_from_db()
    assert far.triage_status == "verified"

    # The report page: photos load through the scoped door; a flag is cleared with a note.
    page.goto(f"{live_server.url}/admin/reports/submission/{stuffing.pk}/change/")
    images = page.locator("ul.photos img")
    assert images.count() == 2
    page.wait_for_function("() => [...document.querySelectorAll('ul.photos img')].every(i => i.complete && i.naturalWidth > 0)")
    row = page.locator("#flag-critical_category")
    row.locator("input[name=note]").fill("Confirmed by two observers")
    row.locator("button[value=confirm]").click()
    page.wait_for_selector(".messagelist")
    assert "critical_category is now confirmed" in page.inner_text(".messagelist")
    assert not _csp_problems(page)


def test_situation_map_draws_points_without_tiles_and_refreshes(world, live_server, coordinator_page, settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens: every tile fails
    settings.SITUATION_REFRESH_SECONDS = 5
    page = coordinator_page
    file_report(world, category="ballot_stuffing")
    file_report(world, station=world.station_far, observer=world.observer_2, gps=None)
    file_report(world, station=world.station_west, gps=(50.28, 57.2071, 12.0))

    page.goto(f"{live_server.url}/admin/reports/submission/situation/")
    page.wait_for_selector("#situation-map[data-points-loaded='3']", timeout=15000)
    assert page.locator("#situation-map path.report-point").count() == 3
    page.wait_for_selector("#situation-map.tiles-failed", timeout=15000)
    assert "could not be loaded" in page.inner_text("#map-status")
    assert page.locator("svg.chart-hbar rect.chart-bar").count() == 3
    assert page.inner_text(".counter-critical .n") == "1"

    # A new report arrives; the page shows it without a reload.
    file_report(world, category="violence")
    page.wait_for_selector("#situation-live[data-refreshed]", timeout=20000)
    page.wait_for_function("() => document.querySelector('.counter-critical .n').textContent.trim() === '2'", timeout=20000)
    assert not _csp_problems(page), page.problems


def test_situation_map_shows_registry_text_as_text(world, live_server, coordinator_page, settings):
    """A station code is registry data (an import file): the map's tooltip and
    popup show it as text, never as markup."""
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    page = coordinator_page
    world.station.code = "<i id=injected>7</i>"
    world.station.save(update_fields=["code"])
    file_report(world, category="ballot_stuffing")

    page.goto(f"{live_server.url}/admin/reports/submission/situation/")
    page.wait_for_selector("#situation-map[data-points-loaded='1']", timeout=15000)
    page.hover("#situation-map path.report-point")
    tooltip = page.wait_for_selector(".leaflet-tooltip")
    assert tooltip.inner_text() == "<i id=injected>7</i>: 1"
    page.click("#situation-map path.report-point")
    assert "<i id=injected>7</i>" in page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert page.locator("#injected").count() == 0
    assert not _csp_problems(page), page.problems


def test_the_console_speaks_kazakh_and_russian_from_the_buttons_in_its_header(coordinator_page, world):
    from .conftest import save_screenshot

    file_report(world, category="ballot_stuffing", gps=None)  # critical, no location
    file_report(world, category="group_voting", gps=(43.2701, 76.9400, 20.0))  # off site
    page = coordinator_page
    page.reload()
    page.click("#console-languages button[value=kk]")
    page.wait_for_selector("html[lang=kk]")
    assert "өңдеу күйі" in page.text_content("#changelist-filter")  # the filters
    assert "Таңдалған хабарламаларды растау" in page.inner_text("select[name=action]")  # the bulk actions
    # A flag's explanation in Kazakh, with the category's Kazakh name (the flag stores the English one).
    assert page.locator(".flag-badge[title^='«Бюллетеньдерді заңсыз салу» санаты аса маңызды']").count() == 1
    save_screenshot(page, "queue-kk", full_page=False)
    page.click("#console-languages button[value=ru]")
    page.wait_for_selector("html[lang=ru]")
    assert "состояние обработки" in page.text_content("#changelist-filter")
    assert _csp_problems(page) == []
