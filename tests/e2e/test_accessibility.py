"""axe-core (npm, pinned in package-lock.json) run inside Chromium on every
observer page, in every language and in the states an observer meets (reports
accepted, flagged, rejected, waiting on the phone, refused by the server; the
check-in buttons before and after arriving), plus touch-target size and the
absence of CSP violations."""

import pytest

from .conftest import AXE, fill_report, log_in, queue_offline, record_measurement, send_and_wait_sent, wait_for_state, wait_offline_ready

pytestmark = pytest.mark.e2e

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

TOUCH_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;   // not shown
    if (el.classList.contains('skip') && box.right <= 0) continue;            // skip link until focused
    if (el.tagName === 'A' && el.closest('p, li') && !el.classList.contains('button')) continue;  // inline text link (2.5.5 exception)
    if (box.height < 44 || box.width < 44) small.push(`${el.tagName}#${el.id || el.name || el.textContent.trim().slice(0, 20)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


@pytest.fixture(scope="module")
def axe_source():
    return AXE.read_text(encoding="utf-8")


def check_page(page, axe_source, name, results):
    # Runs through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(axe_source)
    outcome = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => ({"
        "violations: r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})),"
        "passes: r.passes.length}))",
        AXE_TAGS,
    )
    results[name] = {"violations": len(outcome["violations"]), "rules_passed": outcome["passes"]}
    assert outcome["violations"] == [], f"{name}: {outcome['violations']}"
    assert page.evaluate(TOUCH_TARGETS) == [], name


def test_every_observer_page_has_no_axe_violations_in_any_language(app, new_context, axe_source):
    results = {}
    csp_violations = []
    context = new_context()
    page = context.new_page()
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text))

    page.goto("/login/")
    check_page(page, axe_source, "login-en", results)
    page.fill("#id_username", "e2e-axe")
    page.fill("#id_password", "wrong password")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#login-errors")
    check_page(page, axe_source, "login-error-en", results)

    log_in(page, "e2e-axe")
    wait_offline_ready(page)
    page.wait_for_selector("#gps-status[data-state=ok]")
    fill_report(page, description="accepted one")
    send_and_wait_sent(page)
    fill_report(page, category="carousel_voting", description="flagged one")
    send_and_wait_sent(page)
    fill_report(page, category="other", description="rejected one")
    page.fill("#id_occurred_at", "2020-01-01T10:00")
    send_and_wait_sent(page)
    wait_for_state(app, "e2e-axe", 3)
    fill_report(page, description="refused by the server")  # unknown station: 400, kept on the phone and shown
    page.fill("#id_station", "99999")
    page.click("#send")
    page.wait_for_function("() => document.querySelector('#id_description').value === ''")

    for language in ("en", "kk", "ru"):
        page.goto("/reports/new/")
        if page.get_attribute("html", "lang") != language:
            page.click(f"button[name=language][value={language}]")
            page.wait_for_selector(f"html[lang={language}]")
        page.wait_for_selector("#report-form[data-enhanced=true]")
        page.wait_for_selector("#gps-status[data-state=ok]")
        check_page(page, axe_source, f"report-form-{language}", results)
        page.goto("/reports/")
        page.wait_for_selector("#outbox-list li.status-failed")
        check_page(page, axe_source, f"my-reports-{language}", results)
        page.goto("/offline/")
        check_page(page, axe_source, f"offline-{language}", results)

    # The check-in panel after arriving: "All quiet" and "Leaving" (the loop above saw "I have arrived").
    page.goto("/reports/new/")
    page.wait_for_selector("#checkin-form[data-enhanced=true]")
    page.click("#checkin-arrived")
    page.wait_for_selector("#checkin-form[data-state=arrived][data-waiting=false]", state="attached")
    check_page(page, axe_source, "report-form-checked-in-ru", results)

    app.set_network(False)
    try:
        page.goto("/reports/new/")
        fill_report(page, description="waiting on the phone")
        queue_offline(page, 2)
        check_page(page, axe_source, "report-form-offline-queued", results)
        page.goto("/reports/")
        page.wait_for_selector("#outbox-list li.status-queued")
        check_page(page, axe_source, "my-reports-offline", results)
    finally:
        app.set_network(True)

    logged_out = new_context().new_page()
    for language in ("kk", "ru"):
        logged_out.goto("/login/")
        logged_out.click(f"button[name=language][value={language}]")
        logged_out.wait_for_selector(f"html[lang={language}]")
        check_page(logged_out, axe_source, f"login-{language}", results)

    assert csp_violations == []
    record_measurement("axe", results)
