"""The web app's faults found in a field test, on a 360×640 phone with the
network really cut (tests/e2e/netcut.py): each test fails on the app as it was.

- logging out without network took the offline pages away while the server
  still had the session;
- switching language without network showed the browser's error page;
- after sending, the line under the button still said "Saved on this phone";
- the Send button was three screens down, below station buttons that moved when
  the nearest-station answer arrived;
- nothing showed that the phone was offline;
- "My reports" had no descriptions, no pages, and the coordinators' wording."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from .conftest import (
    PHONE,
    fill_report,
    log_in,
    queue_offline,
    save_screenshot,
    send_and_wait_sent,
    wait_for_state,
    wait_offline_ready,
    wait_outbox,
)

pytestmark = pytest.mark.e2e

ELECTION = "kz-e2e-2021"
# North-east of station 02001, towards 02002; each point more than 200 m from the
# one before, so the phone asks for the nearest stations again.
EAST_OF_STATION = {"latitude": 43.2550, "longitude": 76.9150, "accuracy": 12}
FURTHER_EAST = {"latitude": 43.2575, "longitude": 76.9185, "accuracy": 12}
# What an earlier search left on the phone: two stations, but not 02002, the nearest.
REMEMBERED = [
    {"code": "02003", "name": "House of Culture", "settlement": "Almaty", "lat": 43.2380, "lon": 76.8890, "tz": "Asia/Almaty"},
    {"code": "05001", "name": "School No. 1", "settlement": "Astana", "lat": 51.1801, "lon": 71.44598, "tz": "Asia/Almaty"},
]


def _file_at_astana(page, description: str) -> None:
    """A report at 05001, away from the other scenarios' station (their flags must not see a hot spot because of these)."""
    fill_report(page, category="other", description=description)
    page.fill("#id_station", "05001")


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def _positions(page, codes: list[str]) -> dict:
    return page.evaluate(
        """(codes) => Object.fromEntries(codes.map((code) => {
            const r = document.querySelector(`#station-suggestions button[data-code='${code}']`).getBoundingClientRect();
            return [code, [Math.round(r.left), Math.round(r.top + window.scrollY)]];
        }))""",
        codes,
    )


def test_logging_out_offline_keeps_the_form_until_the_server_confirms(app, new_context):
    page = new_context().new_page()
    log_in(page, "e2e-fix-logout")
    wait_offline_ready(page)
    app.set_network(False)
    try:
        page.click("#logout-form button")
        page.wait_for_selector("#logout-offline", state="visible")
        assert page.url.endswith("/reports/new/")
        assert page.evaluate("() => caches.has('pages-v1')")
        page.reload()  # the form still opens from the phone's copy, and files
        _file_at_astana(page, "filed after a logout without network")
        queue_offline(page, 1)
    finally:
        app.set_network(True)
    wait_outbox(page, 0, timeout=90000)
    [report] = wait_for_state(app, "e2e-fix-logout", 1)
    assert report["description"] == "filed after a logout without network"

    page.click("#logout-form button")  # with network: logged out, the pages forgotten
    page.wait_for_url("**/login/")
    page.wait_for_function("() => caches.has('pages-v1').then((kept) => !kept)", timeout=20000)
    page.goto("/reports/new/")
    page.wait_for_url(lambda url: "/login/" in url)


def test_switching_language_offline_keeps_the_page_and_what_was_typed(app, new_context):
    page = new_context().new_page()
    log_in(page, "e2e-fix-language")
    wait_offline_ready(page)
    app.set_network(False)
    try:
        page.reload()
        page.wait_for_selector("#report-form[data-enhanced=true]")
        page.fill("#id_description", "typed before switching")
        page.click("button[name=language][value=ru]")
        page.wait_for_selector("#language-offline", state="visible")
        assert page.url.endswith("/reports/new/") and page.get_attribute("html", "lang") == "en"
        assert page.input_value("#id_description") == "typed before switching"
    finally:
        app.set_network(True)
    page.click("button[name=language][value=ru]")
    page.wait_for_selector("html[lang=ru]")
    assert page.text_content("h1") == "Новое сообщение"


def test_the_line_under_the_button_tells_the_outcome(app, new_context):
    page = new_context().new_page()
    log_in(page, "e2e-fix-outcome")
    wait_offline_ready(page)
    _file_at_astana(page, "sent with network")
    send_and_wait_sent(page)
    page.wait_for_selector("#form-status[data-state=sent]")
    assert page.text_content("#form-status") == "Report sent."
    assert _in_view(page, "#form-status")

    app.set_network(False)
    try:
        _file_at_astana(page, "sent when the network came back")
        queue_offline(page, 1)
        page.wait_for_selector("#form-status[data-state=queued]")
        assert page.text_content("#form-status") == "Saved on this phone. It will be sent automatically."
    finally:
        app.set_network(True)
    page.wait_for_selector("#form-status[data-state=sent]", timeout=90000)
    assert page.text_content("#form-status") == "Report sent."
    assert len(wait_for_state(app, "e2e-fix-outcome", 2)) == 2


def test_send_is_in_reach_and_station_buttons_stay_put_when_the_nearest_arrive(app, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-fix-thumb")
    wait_offline_ready(page)
    page.wait_for_selector("#gps-status[data-state=ok]")
    page.wait_for_load_state("networkidle")
    assert _in_view(page, "#send")  # the first screen, no scrolling
    save_screenshot(page, "first-screen-en", full_page=False)
    page.focus("#id_description")
    assert _in_view(page, "#send") and _in_view(page, "#id_description")

    # An open list, drawn from what the phone knows while the server cannot answer...
    context.add_init_script(f"localStorage.setItem('stations:{ELECTION}', {json.dumps(json.dumps(REMEMBERED))})")
    app.set_network(False)
    try:
        context.set_geolocation(EAST_OF_STATION)
        page.reload()
        page.wait_for_selector("#report-form[data-enhanced=true]")
        page.wait_for_selector("#gps-status[data-state=ok]")
        assert not page.is_visible("#station-suggestions")  # folded: 02001 is chosen
        page.click("#station-more")
        page.wait_for_selector("#station-suggestions button[data-code='05001']")
        assert page.locator("#station-suggestions button[data-code='02002']").count() == 0
        before = _positions(page, ["02001", "02003", "05001"])
    finally:
        app.set_network(True)
    # ...then the server's answer, with 02002 nearer than anything shown: added, nothing moved.
    context.set_geolocation(FURTHER_EAST)
    page.wait_for_selector("#station-suggestions button[data-code='02002']")
    assert _positions(page, ["02001", "02003", "05001"]) == before
    offered = page.eval_on_selector_all("#station-suggestions button", "(bs) => bs.map((b) => b.dataset.code)")
    assert offered.index("02002") > offered.index("05001")


def test_the_page_shows_when_the_server_cannot_be_reached(app, new_context):
    page = new_context().new_page()
    log_in(page, "e2e-fix-offline")
    wait_offline_ready(page)
    page.wait_for_selector("html[data-network=online]", state="attached")
    assert not page.is_visible("#network-state")
    app.set_network(False)
    try:
        page.reload()  # the phone's copy of the form
        page.wait_for_selector("#network-state", state="visible")
        assert page.text_content("#network-state") == "Offline"
        save_screenshot(page, "first-screen-offline", full_page=False)
    finally:
        app.set_network(True)
    page.wait_for_selector("#network-state", state="hidden", timeout=60000)  # asked again while offline


def test_my_reports_shows_descriptions_in_pages_with_the_observers_wording(app, new_context):
    page = new_context(geolocation=None, grant_geolocation=False).new_page()
    log_in(page, "e2e-fix-mine")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    now = datetime.now(UTC).isoformat()
    # Twelve reports of one station and category (05001: no other scenario files there),
    # without location: told apart only by their descriptions.
    for n in range(12):
        response = page.request.post(
            "/api/v1/reports/",
            multipart={
                "client_uuid": str(uuid.uuid4()), "election": ELECTION, "station": "05001", "category": "other",
                "occurred_at": now, "description": f"Queue outside, count {n}",
            },
            headers={"X-CSRFToken": csrf, "Accept": "application/json"},
        )  # fmt: skip
        assert response.status == 201, response.text()
    wait_for_state(app, "e2e-fix-mine", 12)

    page.goto("/reports/")
    rows = page.locator("#server-reports li.report")
    assert rows.count() == 10
    descriptions = page.eval_on_selector_all("#server-reports .description", "(ps) => ps.map((p) => p.textContent)")
    assert descriptions == [f"Queue outside, count {n}" for n in range(11, 1, -1)]
    text = page.text_content("#server-reports")
    assert "sent without the phone's location" in text
    assert "You are not deployed to station 05001" in text
    # Not the coordinators' wording ("the observer", rule thresholds, "station coordinates used").
    assert "The observer" not in text and "station coordinates used" not in text
    save_screenshot(page, "my-reports-paged", full_page=False)

    page.click("a[rel=next]")
    page.wait_for_url("**/reports/?page=2")
    assert page.eval_on_selector_all("#server-reports .description", "(ps) => ps.map((p) => p.textContent)") == [
        "Queue outside, count 1",
        "Queue outside, count 0",
    ]
    assert page.locator("a[rel=prev]").count() == 1
