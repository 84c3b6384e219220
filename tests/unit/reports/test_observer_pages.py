"""The observer's pages (server side): access, the plain-form path without
JavaScript, what the page hands its script, my reports' states, login lockout,
the service worker script, security headers and compression."""

import dataclasses
import json
import re
import uuid

import pytest
from django.conf import settings

from reports.models import IncidentReport
from testkit.factories import DeploymentFactory
from tests.conftest import PASSWORD, report_payload

PAGES = ["/reports/new/", "/reports/"]


@pytest.fixture
def observer_client(world, client):
    client.force_login(world.observer.user)
    return client


def page_data(response) -> dict:
    match = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(match.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_login(world, client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_non_observers_get_403(world, client):
    client.force_login(world.superuser)
    assert client.get("/reports/new/").status_code == 403
    assert client.get("/reports/").status_code == 403


def test_report_form_offers_deployed_station_categories_by_phase_and_station_time(observer_client, world):
    response = observer_client.get("/reports/new/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="02001"' in html  # the observer's only station, prefilled
    groups = re.findall(r'<optgroup label="([^"]+)">', html)
    assert groups == ["pre-election", "opening", "voting", "counting", "tabulation"]
    assert 'capture="environment"' in html and 'name="photos"' in html
    data = page_data(response)
    assert data["election"] == world.election.code
    assert data["stations"] == [
        {
            "code": "02001",
            "name": world.station.name,
            "settlement": world.station.settlement,
            "lat": 43.25249,
            "lon": 76.9115,
            "tz": "Asia/Almaty",
        }
    ]
    assert data["severityByCategory"]["ballot_stuffing"] == "critical"
    assert data["strings"]["queued"] and data["api"]["reports"] == "/api/v1/reports/"


def test_report_form_in_kazakh_and_russian(observer_client):
    observer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    html = observer_client.get("/reports/new/").content.decode()
    assert '<html lang="kk">' in html and "Жаңа хабарлама" in html and "Сайлау жәшігі мөрленбеген" in html and "дауыс беру" in html
    observer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = observer_client.get("/reports/new/")
    assert "Новое сообщение" in response.content.decode() and "Вброс бюллетеней" in response.content.decode()
    assert page_data(response)["strings"]["queued"] == "Сохранено на этом телефоне. Будет отправлено автоматически."


def _form(world, **overrides):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "election": world.election.code,
        "station": world.station_west.code,
        "category": "ballot_box_not_sealed",
        "occurred_at": "2021-01-10T07:05",
        "description": "No seal on box 1.",
    }
    data.update(overrides)
    return data


def test_plain_form_post_files_the_report_in_the_stations_own_time(observer_client, world, django_capture_on_commit_callbacks):
    data = _form(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = observer_client.post("/reports/new/", data)
    assert response.status_code == 302 and response["Location"] == "/reports/"
    report = IncidentReport.objects.get(client_uuid=data["client_uuid"])
    assert report.occurred_at.isoformat() == "2021-01-10T02:05:00+00:00"  # 07:05 in Aktobe, UTC+5 in 2021
    assert report.latitude is None and report.state == "accepted"
    # Pressing "send" twice on a slow network files one report.
    observer_client.post("/reports/new/", data)
    assert IncidentReport.objects.filter(client_uuid=data["client_uuid"]).count() == 1


def test_plain_form_shows_field_and_refusal_errors_in_the_observers_language(world, client):
    client.force_login(world.observer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.post("/reports/new/", _form(world, station="99999")).content.decode()
    assert "В этих выборах нет такого участка." in html
    client.force_login(world.unaccredited_observer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    html = client.post("/reports/new/", _form(world)).content.decode()
    assert "Сіздің ұйымыңыз бұл сайлауды байқауға аккредиттелмеген." in html
    assert IncidentReport.objects.count() == 0


def test_my_reports_shows_each_state_with_reasons_and_flags_in_russian(
    observer_client, world, settings, django_capture_on_commit_callbacks
):
    # The test election is in 2021: without this every report would also be `late_filing`.
    settings.PIPELINE = dataclasses.replace(settings.PIPELINE, late_filing_hours=24 * 365 * 100)
    # ...and without a deployment there, `not_deployed`.
    DeploymentFactory(observer=world.observer, election=world.election, station=world.station_west)
    with django_capture_on_commit_callbacks(execute=True):
        observer_client.post(
            "/reports/new/", _form(world, description="accepted", latitude="50.2797", longitude="57.2072", accuracy_m="10")
        )
        observer_client.post("/reports/new/", _form(world, category="carousel_voting", occurred_at="2021-01-10T23:00"))
        observer_client.post("/reports/new/", _form(world, occurred_at="2019-01-01T10:00"))
    observer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = observer_client.get("/reports/").content.decode()
    assert html.count('class="badge badge-accepted">Принято<') == 1
    assert html.count("badge-flagged") == 1 and "вне часов голосования" in html
    assert html.count("badge-rejected") == 1 and "периода наблюдения за выборами" in html
    assert "Сообщение отправлено без местоположения телефона" in html  # no_location, in the observer's words
    # Newest first.
    assert html.index("2019-01-01") < html.index("2021-01-10 07:05")


def test_my_reports_lists_only_the_observers_own_reports(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.observer_2.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/reports/new/", _form(world, description="by observer 2"))
    client.force_login(world.observer.user)
    assert "badge-" not in client.get("/reports/").content.decode()


def test_login_lockout_is_a_clear_translated_message(world, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": "observer", "password": "wrong"})
        assert "Неверное имя пользователя или пароль" in response.content.decode()
    client.post("/login/", {"username": "observer", "password": "wrong"})
    response = client.post("/login/", {"username": "observer", "password": PASSWORD})
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа. Подождите 30 минут" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_keeps_the_observer_logged_in_for_the_day(world, client):
    response = client.post("/login/", {"username": "observer", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE >= 24 * 3600


@pytest.mark.parametrize("path", ["/login/", "/reports/new/", "/reports/", "/offline/", "/sw.js"])
def test_security_headers_on_observer_pages(world, client, path):
    if path != "/login/":
        client.force_login(world.observer.user)
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.content.decode()  # no inline script


def test_service_worker_script_carries_its_shell_and_is_never_cached(observer_client):
    response = observer_client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    config = json.loads(re.match(r"const SW_CONFIG = (.*?);\n", response.content.decode()).group(1))
    assert config["shell"] == ["/static/css/app.css", "/static/js/app.js", "/static/js/messages.js", "/static/js/checklists.js"]
    # The checklists app adds its list (and a page per form of the open elections: none loaded here).
    assert config["pages"] == ["/reports/new/", "/reports/", "/checklists/"] and config["offline"] == "/offline/"
    assert len(config["version"]) == 16


def test_pages_are_compressed(observer_client):
    response = observer_client.get("/reports/new/", headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"


def test_plain_form_refuses_an_accuracy_wider_than_50_km(observer_client, world):
    response = observer_client.post("/reports/new/", _form(world, latitude="43.2527", longitude="76.9118", accuracy_m="999999"))
    assert response.status_code == 200 and "accuracy_m" in response.context["form"].errors
    assert IncidentReport.objects.count() == 0


def test_plain_form_shows_the_refusal_with_its_date_as_the_api_does(world, client, as_user):
    api = as_user(world.revoked_observer).post("/api/v1/reports/", report_payload(world), format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert api.status_code == 403 and "2021-" in api.json()["detail"]  # the date of the revocation
    client.force_login(world.revoked_observer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = client.post("/reports/new/", _form(world, station=world.station.code))
    assert page.status_code == 200
    assert api.json()["detail"] in page.context["form"].non_field_errors()
    assert "accreditation_revoked" not in page.content.decode()
    assert IncidentReport.objects.count() == 0


@pytest.mark.parametrize("persona", ["auditor", "platform_auditor", "superuser"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_people_who_cannot_file_get_a_clear_page_not_a_code(world, client, persona, method):
    who = getattr(world, persona)
    client.force_login(getattr(who, "user", who))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = getattr(client, method)("/reports/new/", _form(world) if method == "post" else None)
    assert response.status_code == 403
    html = response.content.decode()
    assert "not_an_observer" not in html
    assert "Сообщения подают наблюдатели" in html  # in the reader's language
    assert 'href="/admin/"' in html  # where their work is
    assert IncidentReport.objects.count() == 0


def test_a_coordinator_may_still_file_from_the_form(world, client):
    client.force_login(world.coordinator.user)
    assert client.get("/reports/new/").status_code == 200


def test_web_form_files_through_the_same_service(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.observer.user)
    assert client.get("/reports/new/").status_code == 200
    data = {
        "client_uuid": "6c1d1d4e-4b1a-4f1e-9a57-000000000001",
        "election": world.election.code,
        "station": world.station.code,
        "category": "group_voting",
        "occurred_at": "2021-01-10T10:15",
        "description": "Family voting in booth 3",
        "latitude": "43.2527",
        "longitude": "76.9118",
        "accuracy_m": "15",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/new/", data)
    assert response.status_code == 302
    report = IncidentReport.objects.get(client_uuid=data["client_uuid"])
    assert report.occurred_at.isoformat() == "2021-01-10T04:15:00+00:00"  # 10:15 at the Almaty station
    assert report.state == "accepted"
    page = client.get("/reports/").content.decode()
    assert report.station.code in page and report.category.name in page


def test_the_login_page_leads_an_observer_with_a_badge_code_to_activation(world, client):
    # An observer who only ever activated with a badge has no password: when the
    # session ends, the way back in is the badge's code, one tap from the login page.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    page = client.get("/login/").content.decode()
    assert 'href="/activate/" id="activate-link"' in page
    assert "I have a code from my badge" not in page  # translated
