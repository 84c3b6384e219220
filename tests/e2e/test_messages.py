"""Messages on a 360×640 phone: the observer arrives and reports all quiet;
their coordinator sends a message while the phone is offline; back online,
the phone fetches it and shows a banner; offline again (the page from the
service worker, the message from the phone's storage), the observer opens it;
the read receipt waits on the phone and reaches the coordinator's counts
when the network returns. The network is really cut (tests/e2e/netcut.py),
and the browser is told it is offline as a phone would be."""

import pytest

from .conftest import AXE, PASSWORD, log_in, save_screenshot, wait_offline_ready, wait_outbox
from .seed import COORDINATOR, MESSAGES_OBSERVER
from .test_accessibility import check_page

pytestmark = pytest.mark.e2e

TEXT_EN = "Check that the ballot box seals are intact before the count."
TEXT_RU = "Проверьте целостность пломб на урнах до начала подсчёта."


def _network(app, context, up: bool) -> None:
    app.set_network(up)
    context.set_offline(not up)


def _read_at(app):
    rows = app.query(
        """SELECT r.delivered_at, r.read_at FROM messaging_messagereceipt r
           JOIN monitoring_observer o ON o.id = r.observer_id JOIN auth_user u ON u.id = o.user_id
           WHERE u.username = ?""",
        (MESSAGES_OBSERVER,),
    )
    return rows


def _coordinator_sends(browser, app) -> int:
    """The coordinator, on a laptop that still has its network, writes to the observers of station 02002."""
    direct = f"http://127.0.0.1:{app.proxy.upstream_port}"
    context = browser.new_context(base_url=direct, locale="en-US")
    try:
        page = context.new_page()
        page.goto("/admin/login/")
        page.fill("#id_username", COORDINATOR)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.goto("/admin/messaging/observermessage/add/")
        [(election,)] = app.query("SELECT id FROM monitoring_election WHERE code = 'kz-e2e-2021'")
        [(station,)] = app.query("SELECT id FROM monitoring_pollingstation WHERE code = '02002'")
        page.select_option("#id_election", str(election))
        page.select_option("#id_audience", "stations")
        page.fill("#id_stations", str(station))
        page.fill("#id_text_en", TEXT_EN)
        page.fill("#id_text_ru", TEXT_RU)
        page.click("input[name=_save]")
        page.wait_for_url("**/admin/messaging/observermessage/")
        row = page.locator("#result_list tbody tr").first
        # Everyone the plan puts at 02002 gets it: this phone's observer, and any
        # observer an earlier test of the session imported there (the badge test).
        recipients = _recipients(app)
        assert len(_read_at(app)) == 1 and recipients >= 1
        assert (row.locator(".field-sent").text_content(), row.locator(".field-read").text_content()) == (str(recipients), "0")
        return recipients
    finally:
        context.close()


def _recipients(app) -> int:
    [(count,)] = app.query(
        "SELECT count(*) FROM messaging_messagereceipt WHERE message_id = (SELECT max(id) FROM messaging_observermessage)"
    )
    return count


def _coordinator_counts(browser, app) -> tuple[str, str, str]:
    context = browser.new_context(base_url=f"http://127.0.0.1:{app.proxy.upstream_port}")
    try:
        page = context.new_page()
        page.goto("/admin/login/?next=/admin/messaging/observermessage/")
        page.fill("#id_username", COORDINATOR)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/messaging/observermessage/")
        row = page.locator("#result_list tbody tr").first
        return tuple(row.locator(f".field-{name}").text_content() for name in ("sent", "delivered", "read"))
    finally:
        context.close()


def test_a_message_sent_while_offline_is_read_and_its_receipt_reaches_the_coordinator(app, browser, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, MESSAGES_OBSERVER)
    wait_offline_ready(page)
    page.wait_for_selector("#checkin-form[data-enhanced=true]")
    page.wait_for_selector("#messages[data-enhanced=true]", state="attached")
    page.click("#checkin-arrived")
    page.wait_for_selector("#checkin-form[data-state=arrived]", state="attached")
    page.click("#checkin-all-quiet")
    page.wait_for_selector("#checkin-form[data-state=all_quiet]", state="attached")
    wait_outbox(page, 0)
    assert page.is_hidden("#messages-banner") and page.is_hidden("#messages")

    _network(app, context, up=False)
    try:
        recipients = _coordinator_sends(browser, app)
        assert _read_at(app) == [(None, None)]  # sent, not delivered: the phone is offline
    finally:
        _network(app, context, up=True)

    # Back online: the phone fetches the message with its sync, and shows the banner.
    page.wait_for_selector("#messages-banner:not([hidden])", timeout=30000)
    assert TEXT_EN in page.text_content("#messages-banner-text")
    assert page.get_attribute("#messages", "data-unread") == "1"
    [(delivered_at, read_at)] = _read_at(app)
    assert delivered_at is not None and read_at is None
    save_screenshot(page, "first-screen-message-banner", full_page=False)
    axe_results = {}
    check_page(page, AXE.read_text(encoding="utf-8"), "message-banner", axe_results)

    _network(app, context, up=False)
    try:
        page.reload()  # from the service worker; the message from the phone's storage
        page.wait_for_selector("#messages-banner:not([hidden])")
        page.click("#messages-banner-open")
        page.wait_for_selector("#messages[data-unread='0'][data-pending-reads='1']", state="attached")
        assert page.is_visible(f"#messages-list details[open] >> text={TEXT_EN}")
        assert page.is_hidden("#messages-banner") and page.is_visible("#messages-read-waiting")
        check_page(page, AXE.read_text(encoding="utf-8"), "message-opened-offline", axe_results)
        assert _read_at(app)[0][1] is None  # the receipt waits on the phone
    finally:
        _network(app, context, up=True)

    page.wait_for_selector("#messages[data-pending-reads='0']", state="attached", timeout=30000)
    assert _read_at(app)[0][1] is not None
    assert _coordinator_counts(browser, app) == (str(recipients), "1", "1")
    # Opening it again sends nothing more: the receipt is the first one.
    page.reload()
    page.wait_for_selector("#messages[data-enhanced=true][data-count='1'][data-unread='0']", state="attached")
