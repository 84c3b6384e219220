"""#12 item 4 in the web app: the observer's session ends on the server while
a report waits in the phone's outbox. Sending it is refused (401), the app
says to log in again and keeps the report; after logging in again the report
reaches the server exactly once."""

import pytest

from .conftest import (
    PASSWORD,
    fill_report,
    log_in,
    outbox_count,
    queue_offline,
    save_screenshot,
    server_log_responses,
    wait_for_state,
    wait_offline_ready,
    wait_outbox,
)

pytestmark = pytest.mark.e2e

USER = "e2e-relogin"


def test_a_report_waiting_when_the_session_ends_stays_and_is_sent_once_after_logging_in_again(app, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, USER)
    wait_offline_ready(page)
    (session,) = [c["value"] for c in context.cookies() if c["name"] == "sessionid"]
    log_offset = app.log.stat().st_size

    app.set_network(False)
    try:
        fill_report(page, description="filed while the session ran out")
        queue_offline(page, 1)
        # The session ends on the server (its time is up) while the report waits.
        app.query("UPDATE django_session SET expire_date = '2000-01-01 00:00:00' WHERE session_key = ?", (session,))
    finally:
        app.set_network(True)
    page.click("#outbox-send")  # the observer presses "Send now" (the app also retries by itself)

    page.wait_for_selector("#outbox-login", timeout=60000)
    assert "log in again" in page.text_content("#outbox-sync")
    assert outbox_count(page) == 1
    assert app.reports_of(USER) == []
    assert set(server_log_responses(app, log_offset)) <= {401}  # (the log line may trail the answer)
    save_screenshot(page, "session-ended-report-waiting", full_page=False)

    page.click("#outbox-login")
    page.wait_for_url("**/login/**")
    page.reload()  # the login page again: what it forgets must not be the waiting report
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/reports/new/")

    wait_outbox(page, 0)
    (report,) = wait_for_state(app, USER, 1)
    assert report["description"] == "filed while the session ran out" and report["state"] == "accepted"
    page.wait_for_timeout(1000)  # nothing else goes out afterwards
    assert len(app.reports_of(USER)) == 1
    statuses = server_log_responses(app, log_offset)
    assert 401 in statuses and statuses.count(201) == 1 and set(statuses) == {401, 201}
    assert page.locator("#outbox-login").count() == 0
