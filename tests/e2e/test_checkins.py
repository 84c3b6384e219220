"""Check-ins on a 360×640 phone: the first screen offers "I have arrived at
02001", then "All quiet" and "Leaving"; both go through the offline outbox,
with the network really cut (tests/e2e/netcut.py), and reach the server
exactly once each when it returns. Without JavaScript the same buttons post
a form."""

import pytest

from .conftest import (
    FETCH_PROBE,
    log_in,
    save_screenshot,
    server_log_responses,
    service_worker,
    wait_offline_ready,
    wait_outbox,
)

pytestmark = pytest.mark.e2e

CHECKINS = "/api/v1/checkins/"


def _shown(page) -> set[str]:
    return {name for name in ("arrived", "all-quiet", "left") if page.is_visible(f"#checkin-{name}")}


def _wait_state(page, state: str) -> None:
    page.wait_for_selector(f"#checkin-form[data-state={state}]", state="attached")


def test_arrive_then_all_quiet_offline_each_reaches_the_server_once(app, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-checkin")
    wait_offline_ready(page)
    page.wait_for_selector("#checkin-form[data-enhanced=true]")
    page.wait_for_selector("#gps-status[data-state=ok]")  # the fix goes with the check-in
    assert _shown(page) == {"arrived"}
    assert page.text_content("#checkin-arrived").strip() == "I have arrived at 02001"
    # On the first screen, under the thumb: the button is inside the 640 px viewport.
    box = page.locator("#checkin-arrived").bounding_box()
    assert box["y"] + box["height"] <= 640 and box["height"] >= 56
    save_screenshot(page, "first-screen-checkin-en", full_page=False)
    worker = service_worker(context)
    log_offset = app.log.stat().st_size

    app.set_network(False)
    try:
        assert page.evaluate(FETCH_PROBE).startswith("failed") and worker.evaluate(FETCH_PROBE).startswith("failed")
        page.click("#checkin-arrived")
        wait_outbox(page, 1)
        _wait_state(page, "arrived")
        assert _shown(page) == {"all-quiet", "left"}  # no shift in the plan: "Leaving" right after arriving
        assert "Check-in saved on this phone" in page.text_content("#checkin-status")

        page.reload()  # the page comes from the service worker's copy, made before the arrival...
        page.wait_for_selector("#checkin-form[data-enhanced=true]")
        _wait_state(page, "arrived")  # ...and the phone still knows it has arrived
        assert _shown(page) == {"all-quiet", "left"}
        page.click("#checkin-all-quiet")
        wait_outbox(page, 2)
        _wait_state(page, "all_quiet")
        save_screenshot(page, "first-screen-checkin-offline", full_page=False)
        assert app.checkins_of("e2e-checkin") == []
    finally:
        app.set_network(True)

    wait_outbox(page, 0, timeout=90000)
    page.wait_for_selector("#checkin-form[data-waiting=false]", state="attached")
    assert "Check-in saved on this phone" not in page.text_content("#checkin-status")
    checkins = app.checkins_of("e2e-checkin")
    assert [c["kind"] for c in checkins] == ["arrived", "all_quiet"]
    assert len({c["client_uuid"] for c in checkins}) == 2
    assert {c["source"] for c in checkins} == {"api"} and all(c["latitude"] is not None for c in checkins)
    statuses = server_log_responses(app, log_offset, CHECKINS)
    assert 409 not in statuses and 400 not in statuses and statuses.count(201) <= 2

    # Online: the server's page agrees with the phone.
    page.reload()
    _wait_state(page, "all_quiet")
    assert _shown(page) == {"all-quiet", "left"}
    page.click("#checkin-left")
    page.wait_for_selector("#checkin-form[data-waiting=false][data-state=left]", state="attached")
    wait_outbox(page, 0)
    assert _shown(page) == {"arrived"}
    assert [c["kind"] for c in app.checkins_of("e2e-checkin")] == ["arrived", "all_quiet", "left"]


def test_without_javascript_the_buttons_post_the_check_in(app, new_context):
    page = new_context(javascript=False).new_page()
    log_in(page, "e2e-checkin-nojs")
    assert _shown(page) == {"arrived"}
    page.click("#checkin-arrived")
    page.wait_for_url("**/reports/new/")
    assert "Check-in received: arrived." in page.text_content(".messages")
    assert _shown(page) == {"all-quiet", "left"}
    [checkin] = app.checkins_of("e2e-checkin-nojs")
    assert (checkin["kind"], checkin["source"], checkin["latitude"]) == ("arrived", "web", None)
