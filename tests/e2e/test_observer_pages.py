"""The observer's pages in a real Chromium on a 360×640 phone: filing with GPS
and a photo, filing with location refused, filing without JavaScript, the
language switch, page weight and security headers."""

import pytest

from .conftest import (
    fill_report,
    jpeg,
    log_in,
    record_measurement,
    save_screenshot,
    send_and_wait_sent,
    wait_for_state,
    wait_offline_ready,
)

pytestmark = pytest.mark.e2e


def test_file_with_gps_and_a_photo_and_see_it_accepted_with_its_geotag(app, new_context):
    page = new_context().new_page()
    log_in(page, "e2e-gps")
    wait_offline_ready(page)
    assert page.input_value("#id_station") == "02001"  # the observer's own station
    page.wait_for_selector("#gps-status[data-state=ok]")
    assert "12" in page.text_content("#gps-status")  # accuracy shown
    page.click("#station-more")  # folded: the station is already chosen
    page.wait_for_selector("#station-suggestions button[data-code='02002']")  # nearest stations offered
    assert "km" in page.text_content("#station-suggestions button[data-code='02002']")
    photo = jpeg()
    fill_report(page, description="Ballot box 2 has no seal.", photo=photo)
    send_and_wait_sent(page)

    [report] = wait_for_state(app, "e2e-gps", 1)
    assert report["state"] == "accepted" and report["flags"] is None
    assert report["location_source"] == "device_gps" and abs(report["latitude"] - 43.2527) < 1e-6
    assert report["photos"] == 1
    # Resized in the browser before upload: the phone sent at most 1600 px, and fewer bytes.
    [(width, height, size)] = app.query("SELECT width, height, size FROM reports_attachment WHERE report_id = ?", (report["id"],))
    assert max(width, height) == 1600 and size < len(photo)
    record_measurement("photo_bytes_camera_vs_sent", [len(photo), size])

    page.click("nav a[href='/reports/']")
    text = page.text_content("#server-reports")
    assert "Accepted" in text and "device GPS" in text and "m from station 02001" in text and "Almaty" in text
    save_screenshot(page, "my-reports-en")


def test_refused_geolocation_still_files_and_the_report_is_flagged_no_location(app, new_context):
    page = new_context(geolocation=None, grant_geolocation=False).new_page()
    log_in(page, "e2e-nogps")
    page.wait_for_selector("#gps-status[data-state=denied]")
    assert "still send" in page.text_content("#gps-status")
    assert page.is_visible("#gps-retry")
    fill_report(page, description="Filed without location.")
    send_and_wait_sent(page)

    [report] = wait_for_state(app, "e2e-nogps", 1)
    assert report["latitude"] is None and report["location_source"] == "station"
    assert "no_location" in report["flags"].split(",")  # (other scenarios' reports at 02001 may make a hot spot)
    page.goto("/reports/")
    assert "sent without the phone's location" in page.text_content("#server-reports")  # in the observer's words


def test_a_fix_vaguer_than_the_server_accepts_is_dropped_and_the_report_still_files(app, new_context):
    page = new_context(geolocation={"latitude": 43.2527, "longitude": 76.9118, "accuracy": 60000}).new_page()
    log_in(page, "e2e-vaguegps")
    page.wait_for_selector("#gps-status[data-state=warn]")
    assert "still send" in page.text_content("#gps-status")
    fill_report(page, description="Filed with a 60 km fix.")
    send_and_wait_sent(page)

    [report] = wait_for_state(app, "e2e-vaguegps", 1)
    assert report["latitude"] is None and report["location_source"] == "station"
    assert "no_location" in report["flags"].split(",")  # (other scenarios' reports at 02001 may make a hot spot)


def test_without_javascript_the_plain_form_files_the_report(app, new_context):
    page = new_context(javascript=False).new_page()
    log_in(page, "e2e-nojs")
    assert page.input_value("#id_station") == "02001"
    page.select_option("#id_category", "video_camera_off")
    page.fill("#id_description", "Camera above the box is switched off.")
    page.click("#send")
    page.wait_for_url("**/reports/")
    assert "Report sent" in page.text_content(".messages")
    [report] = wait_for_state(app, "e2e-nojs", 1)
    assert report["description"] == "Camera above the box is switched off."


def test_language_switch_shows_kazakh_and_russian_and_sticks(app, new_context):
    context = new_context()
    page = context.new_page()
    log_in(page, "e2e-lang")
    wait_offline_ready(page)
    save_screenshot(page, "form-en")

    page.click("button[name=language][value=kk]")
    page.wait_for_selector("html[lang=kk]")
    assert page.text_content("h1") == "Жаңа хабарлама"
    assert "Сайлау жәшігі мөрленбеген" in page.inner_text("#id_category")  # category names in Kazakh
    assert page.text_content("label[for=id_station]") == "Сайлау учаскесі"
    page.wait_for_selector("#gps-status[data-state=ok]")
    assert "Орналасқан жер анықталды" in page.text_content("#gps-status")  # script texts too
    save_screenshot(page, "form-kk")

    page.click("button[name=language][value=ru]")
    page.wait_for_selector("html[lang=ru]")
    assert page.text_content("h1") == "Новое сообщение"
    assert "Урна для голосования не опечатана" in page.inner_text("#id_category")
    page.wait_for_selector("#report-form[data-enhanced=true]")
    save_screenshot(page, "form-ru")

    # A voting-phase report outside polling hours (flagged) and one before the
    # observation window (rejected): reasons and explanations in Russian.
    page.select_option("#id_category", "carousel_voting")
    page.fill("#id_description", "Карусель")
    send_and_wait_sent(page)
    page.select_option("#id_category", "other")
    page.fill("#id_occurred_at", "2020-01-01T10:00")
    send_and_wait_sent(page)
    wait_for_state(app, "e2e-lang", 2)

    other_tab = context.new_page()  # the choice sticks
    other_tab.goto("/reports/")
    assert other_tab.get_attribute("html", "lang") == "ru"
    text = other_tab.text_content("#server-reports")
    assert "Отклонено" in text and "периода наблюдения" in text
    assert "Принято, отмечено для проверки" in text and "вне часов голосования" in text
    save_screenshot(other_tab, "my-reports-ru")


def test_report_form_first_load_weight_and_headers(app, new_context):
    login_page = new_context().new_page()
    login_page.goto("/login/")
    save_screenshot(login_page, "login-en")
    log_in(login_page, "e2e-weight")
    # A phone with the session but nothing cached: the form's true first load.
    context = new_context()
    context.add_cookies(login_page.context.cookies())
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto("/reports/new/")
    page.wait_for_load_state("load")

    transferred = 0
    for response in responses:
        sizes = response.request.sizes()
        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    assert {r.url.split("/")[2] for r in responses} == {app.url.split("/")[2]}  # no third-party host
    html = next(r for r in responses if r.url.endswith("/reports/new/"))
    headers = html.all_headers()
    assert headers.get("content-encoding") == "gzip"
    assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    record_measurement(
        "report_form_first_load",
        {
            "bytes_transferred": transferred,
            "requests": {
                r.url.replace(app.url, ""): r.request.sizes()["responseBodySize"] + r.request.sizes()["responseHeadersSize"]
                for r in responses
            },
        },
    )
    assert transferred <= 100 * 1024
