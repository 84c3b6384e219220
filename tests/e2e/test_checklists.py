"""The checklist pages on a 360×640 phone: the list offers the form of the
phase the station's local time calls for; a counting protocol with a photo of
the protocol is filed with the network really cut (tests/e2e/netcut.py), waits
in the outbox, is sent once the network returns, and is counted on the quick
count's results page in the admin. axe-core and the touch-target check run on
both pages in every language. The form's screenshot is
docs/screenshots/checklist-counting.png."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from checklists.web import phase_at

from .conftest import FETCH_PROBE, jpeg, log_in, save_screenshot, service_worker, wait_offline_ready, wait_outbox
from .seed import COORDINATOR, PASSWORD
from .test_accessibility import axe_source, check_page  # noqa: F401 (axe_source is a fixture)

pytestmark = pytest.mark.e2e

YES = ["observers_admitted", "ballots_shown", "validity_consistent", "protocol_signed", "copy_given", "protocol_posted"]
NO = ["unauthorized_present", "unauthorized_interfering", "figures_changed", "protocol_presigned"]
FIGURES = {
    "registered_voters": 950,
    "ballots_received": 1000,
    "ballots_issued": 620,
    "ballots_spoiled": 5,
    "ballots_unused": 375,
    "ballots_cast": 618,
    "ballots_invalid": 8,
    "votes_nur_otan": 430,
    "votes_ak_zhol": 70,
    "votes_peoples_party": 55,
    "votes_auyl": 33,
    "votes_adal": 22,
}


def _checklists_of(app, username: str) -> list[dict]:
    rows = app.query(
        """SELECT r.client_uuid, r.state, a.answers,
                  (SELECT count(*) FROM reports_attachment p WHERE p.report_id = r.id)
           FROM reports_submission r
           JOIN checklists_filedanswers a ON a.submission_id = r.id
           JOIN monitoring_observer o ON o.id = r.submitted_by_id
           JOIN auth_user u ON u.id = o.user_id
           WHERE u.username = ? AND r.kind = 'checklist'""",
        (username,),
    )
    return [dict(zip(["client_uuid", "state", "answers", "photos"], row, strict=True)) for row in rows]


def _fill_counting(page) -> None:
    for code in YES:
        page.check(f"#q-{code}-yes")
    for code in NO:
        page.check(f"#q-{code}-no")
    for code, value in FIGURES.items():
        page.fill(f"#q-{code}", str(value))
    page.check("#q-assessment-good")
    page.set_input_files("#q-protocol_photo", files=[{"name": "IMG_0420.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1600, 1200)}])


def _language(page, language: str) -> None:
    if page.get_attribute("html", "lang") != language:
        page.click(f"button[name=language][value={language}]")
        page.wait_for_selector(f"html[lang={language}]")


def test_a_counting_protocol_filed_offline_reaches_the_quick_count(app, new_context, axe_source):  # noqa: F811
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-checklist")
    wait_offline_ready(page)
    results = {}
    for language in ("kk", "ru", "en"):
        page.goto("/checklists/")
        _language(page, language)
        page.wait_for_selector("#checklist-forms[data-suggested]", state="attached")
        check_page(page, axe_source, f"checklists-{language}", results)
        page.goto("/checklists/counting/")
        page.wait_for_selector("#checklist-form[data-enhanced=true]")
        check_page(page, axe_source, f"checklist-counting-{language}", results)

    page.goto("/checklists/")
    page.wait_for_selector("#checklist-forms[data-suggested]", state="attached")
    expected = phase_at(dt.datetime.now(ZoneInfo("Asia/Almaty")).hour)
    assert page.get_attribute("#checklist-forms", "data-suggested") == expected
    assert page.locator("li.suggested .now:visible").count() == 1
    assert page.get_attribute("li.suggested", "data-phase") == expected

    worker = service_worker(context)
    app.set_network(False)
    try:
        assert page.evaluate(FETCH_PROBE).startswith("failed")
        assert worker.evaluate(FETCH_PROBE).startswith("failed")
        page.goto("/checklists/counting/")  # from the service worker's copy
        page.wait_for_selector("#checklist-form[data-enhanced=true]")
        _fill_counting(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        save_screenshot(page, "checklist-counting", full_page=False)
        page.evaluate("() => document.querySelector('#section-protocol').scrollIntoView()")
        save_screenshot(page, "checklist-counting-protocol", full_page=False)
        page.click("#send")
        wait_outbox(page, 1)
        page.wait_for_selector("#form-status[data-state=queued]")
        assert page.input_value("#q-ballots_cast") == ""  # the form is ready for the next one
        assert _checklists_of(app, "e2e-checklist") == []
    finally:
        app.set_network(True)

    wait_outbox(page, 0, timeout=90000)
    page.wait_for_selector("#form-status[data-state=sent]")
    filed = _checklists_of(app, "e2e-checklist")
    assert len(filed) == 1
    assert filed[0]["photos"] == 1
    answers = json.loads(filed[0]["answers"])
    assert answers["protocol_photo"] == "protocol_photo.jpg"
    assert answers["ballots_cast"] == 618 and answers["ballots_shown"] is True and answers["assessment"] == "good"

    admin = new_context().new_page()
    admin.goto("/admin/login/?next=/admin/checklists/sample/results/%3Felection%3Dkz-e2e-2021")
    admin.fill("#id_username", COORDINATOR)
    admin.fill("#id_password", PASSWORD)
    admin.click("input[type=submit]")
    admin.wait_for_selector("#reported")
    assert admin.text_content("#reported").startswith("1 of 4 sampled stations reported.")
    assert admin.locator("svg.quick-count-plot circle").count() == 6
