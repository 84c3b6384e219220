"""Offline-first, with the network really cut: the app server sits behind a TCP
proxy that refuses and resets connections (tests/e2e/netcut.py), which, unlike
Playwright's `set_offline`, also cuts the service worker's own fetches. Each
test first proves that."""

import random

import pytest

from .conftest import (
    FETCH_PROBE,
    fill_report,
    jpeg,
    log_in,
    queue_offline,
    record_measurement,
    save_screenshot,
    server_log_responses,
    service_worker,
    wait_for_state,
    wait_offline_ready,
    wait_outbox,
)

pytestmark = pytest.mark.e2e


def _assert_network_cut(page, worker):
    assert page.evaluate(FETCH_PROBE).startswith("failed")
    assert worker.evaluate(FETCH_PROBE).startswith("failed")


def test_three_reports_filed_offline_reach_the_server_exactly_once(app, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-offline")
    wait_offline_ready(page)
    worker = service_worker(context)
    assert worker.evaluate(FETCH_PROBE) == "status 200"
    log_offset = app.log.stat().st_size

    app.set_network(False)
    try:
        _assert_network_cut(page, worker)
        page.reload()  # the form opens from the service worker's cache
        page.wait_for_selector("#report-form[data-enhanced=true]")
        for n in (1, 2, 3):
            fill_report(page, description=f"offline report {n}", photo=jpeg(800, 600) if n == 2 else None)
            queue_offline(page, n)
        second_tab = context.new_page()  # a second tab must not send them a second time
        second_tab.goto("/reports/")
        page.reload()
        page.wait_for_selector("#report-form[data-enhanced=true]")
        wait_outbox(page, 3)
        wait_outbox(second_tab, 3)
        assert second_tab.locator("#outbox-list li").count() == 3
        save_screenshot(second_tab, "my-reports-offline-queued")
        assert app.reports_of("e2e-offline") == []
        _assert_network_cut(page, worker)
    finally:
        app.set_network(True)

    wait_outbox(page, 0, timeout=90000)
    wait_outbox(second_tab, 0, timeout=90000)
    reports = wait_for_state(app, "e2e-offline", 3)
    assert sorted(r["description"] for r in reports) == ["offline report 1", "offline report 2", "offline report 3"]
    assert len({r["client_uuid"] for r in reports}) == 3
    assert {r["description"]: r["photos"] for r in reports} == {"offline report 1": 0, "offline report 2": 1, "offline report 3": 0}
    statuses = server_log_responses(app, log_offset)
    assert statuses.count(201) == 3
    record_measurement("offline_three", {"filed": 3, "received": len(reports), "post_statuses": statuses})


def test_twenty_network_toggles_while_filing_lose_and_duplicate_nothing(app, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-toggle")
    wait_offline_ready(page)
    worker = service_worker(context)
    log_offset = app.log.stat().st_size
    rng = random.Random(2021)
    filed = []
    photo = jpeg(1200, 900)
    try:
        for toggle in range(20):
            up = toggle % 2 == 1
            app.set_network(up)
            if not up:
                _assert_network_cut(page, worker)
            description = f"toggle report {toggle}"
            fill_report(page, description=description, photo=photo if toggle % 4 == 0 else None)
            page.click("#send")
            page.wait_for_function("() => document.querySelector('#id_description').value === ''")
            filed.append(description)
            if toggle == 10:
                page.reload()  # a reload while offline loses nothing either
                page.wait_for_selector("#report-form[data-enhanced=true]")
            # Let sends be in flight when the network flips next (this is not an assertion on time).
            page.wait_for_timeout(rng.randint(50, 700))
    finally:
        app.set_network(True)

    wait_outbox(page, 0, timeout=120000)
    reports = wait_for_state(app, "e2e-toggle", len(filed), timeout=90)
    assert sorted(r["description"] for r in reports) == sorted(filed)
    assert len({r["client_uuid"] for r in reports}) == len(filed) == 20
    assert sum(r["photos"] for r in reports) == 5
    # The database above is the truth; the server log may miss the line of a
    # request whose connection was cut while the answer was being written.
    statuses = server_log_responses(app, log_offset)
    assert 409 not in statuses and 400 not in statuses and statuses.count(201) <= 20
    record_measurement(
        "toggle_twenty",
        {
            "toggles": 20,
            "filed": len(filed),
            "received": len(reports),
            "created_201": statuses.count(201),
            "replayed_200": statuses.count(200),
        },
    )


def test_a_lost_answer_is_resent_with_the_same_bytes_and_answered_200_not_409(app, new_context):
    """The server files the report but the phone never hears back: the resend
    carries the same client_uuid and byte-identical photo, so the server answers
    200 with the same report instead of filing it twice (or refusing with 409)."""
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-tabs")
    wait_offline_ready(page)
    log_offset = app.log.stat().st_size
    fill_report(page, description="answer lost on the way back", photo=jpeg(1800, 1200))
    app.proxy.swallow_responses = True
    try:
        page.click("#send")
        wait_for_state(app, "e2e-tabs", 1)  # it arrived...
        wait_outbox(page, 1)  # ...but the phone still holds it
        page.wait_for_function("() => document.querySelector('#outbox-status').getAttribute('data-last-sync') === '0'")
    finally:
        app.proxy.swallow_responses = False
    wait_outbox(page, 0, timeout=60000)  # resent by itself, with backoff
    reports = app.reports_of("e2e-tabs")
    assert len(reports) == 1 and reports[0]["photos"] == 1
    # The outbox only drops a report on 201/200; a 409 would have kept it as
    # "failed" (see app.js sendDue). So the phone emptied its outbox on a 200,
    # and the database holds one report: the resend was answered as the same one.
    statuses = server_log_responses(app, log_offset)
    # What the server log shows must agree (it can miss a line for a request cut
    # mid-answer, so it cannot be the proof): nothing but 201/200, one creation.
    assert set(statuses) <= {200, 201} and statuses.count(201) <= 1 and 409 not in statuses
    record_measurement("lost_answer", {"post_statuses": statuses})
