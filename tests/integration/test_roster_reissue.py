"""Re-issue on real processes: PostgreSQL and gunicorn. A phone activated with
its badge (an API token) and a browser activated with a second code (a web
session) both stop working at the very next request after the coordinator
re-issues the observer's credentials; the report already received stays, and
the new badge's code activates."""

import io
import re
import urllib.parse
from http.cookies import SimpleCookie

import pytest

from reports.models import IncidentReport
from roster.credentials import credentials_issue, observer_reissue
from roster.importing import roster_import
from roster.models import RosterEntry
from testkit.http import get, post_json, request
from tests.conftest import report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROSTER = "external_id,full_name,phone,language,role,stations\nA-1,Aigerim Nurlanova,+77015550101,kk,observer,02001\n"


def _cookies(answer, jar):
    for key, value in answer.headers.items():
        if key == "set-cookie":
            jar.update({name: morsel.value for name, morsel in SimpleCookie(value).items()})
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _activate_browser(base, code) -> dict:
    jar = {}
    page = request(base, "GET", "/activate/")
    cookie = _cookies(page, jar)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body.decode()).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "code": code, "device_label": "browser"}).encode()
    answer = request(base, "POST", "/activate/", body=body, headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 302, answer.body[:500]
    _cookies(answer, jar)
    return jar


def test_reissue_revokes_every_token_and_session_at_once(world, gunicorn_server):
    roster_import(organization=world.observer.organization, election=world.election, lines=io.StringIO(ROSTER))
    observer = RosterEntry.objects.select_related("observer__user").get(external_id="A-1").observer
    (phone_code,) = credentials_issue(observers=[observer])
    base = gunicorn_server
    activated = post_json(base, "/api/v1/auth/activate/", {"code": phone_code.code, "device_label": "phone"})
    assert activated.status == 201, activated.body
    token = activated.json()["token"]
    filed = post_json(base, "/api/v1/reports/", report_payload(world), token=token)
    assert filed.status == 201, filed.body

    (browser_code,) = credentials_issue(observers=[observer])
    jar = _activate_browser(base, browser_code.code)
    browser = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    assert request(base, "GET", "/reports/new/", headers=browser).status == 200
    assert get(base, "/api/v1/me/", token=token).status == 200

    new = observer_reissue(observer=observer)

    refused = get(base, "/api/v1/me/", token=token)
    assert refused.status == 401 and refused.json()["code"] == "authentication_failed"
    page = request(base, "GET", "/reports/new/", headers=browser)
    assert page.status == 302 and page.headers["location"].startswith("/login/")
    assert get(base, "/api/v1/me/", headers={**browser, "Accept": "application/json"}).status in (401, 403)
    old = post_json(base, "/api/v1/auth/activate/", {"code": browser_code.code})
    assert old.status == 410 and old.json()["code"] == "activation_code_used"

    report = IncidentReport.objects.get(submitted_by=observer)
    assert report.chain_seq is not None and report.chain_sha256

    again = post_json(base, "/api/v1/auth/activate/", {"code": new.code, "device_label": "new phone"})
    assert again.status == 201
    assert get(base, "/api/v1/me/", token=again.json()["token"]).json()["public_code"] == observer.public_code
