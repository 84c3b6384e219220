"""Activation codes (roster.codes, roster.credentials) through the API, the
/activate/ page and the issue_credentials command: format and entropy, stored
only as a hash, single use, expiry, voiding, throttling, re-issue."""

import csv
import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from roster.codes import ALPHABET, CODE_BITS, code_generate, code_hash, code_normalize
from roster.credentials import credentials_issue, observer_reissue
from roster.importing import roster_import
from roster.models import ActivationCode, ApiToken, RosterEntry

CODE = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
ROSTER = (
    "external_id,full_name,phone,email,language,role,stations,shift_start,shift_end\n"
    "A-1,Aigerim Nurlanova,+7 701 555 0101,,kk,observer,02001 05001,07:00,14:00\n"
    "A-2,Boris Kim,+7 701 555 0102,,ru,observer,05001,,\n"
    "A-3,Zhanna Serikbayeva,+7 701 555 0103,,ru,coordinator,,,\n"
)


@pytest.fixture
def roster(world):
    cache.clear()  # throttle counters
    roster_import(organization=world.observer.organization, election=world.election, lines=io.StringIO(ROSTER))
    return {e.external_id: e.observer for e in RosterEntry.objects.select_related("observer__user", "observer__organization")}


def activate(api_client, code, device_label="test phone"):
    return api_client.post("/api/v1/auth/activate/", {"code": code, "device_label": device_label}, format="json")


def test_codes_have_50_bits_or_more_in_typed_groups_without_look_alikes():
    assert CODE_BITS >= 50 and len(ALPHABET) ** 12 >= 2**50
    assert not set("01ILOU") & set(ALPHABET)
    codes = {code_generate() for _ in range(2000)}
    assert len(codes) == 2000 and all(CODE.match(c) for c in codes)
    sample = next(iter(codes))
    assert code_normalize(sample.lower().replace("-", " ")) == sample
    assert code_normalize("K7QF-93XB-2MW") is None and code_normalize("K7QF-93XB-2MW0") is None


def test_a_code_is_stored_only_as_a_keyed_hash(roster):
    issued = credentials_issue(observers=[roster["A-1"]])
    row = ActivationCode.objects.get(observer=roster["A-1"])
    stored = " ".join(str(getattr(row, f.attname)) for f in ActivationCode._meta.fields)
    raw = issued[0].code.replace("-", "")
    assert issued[0].code not in stored and raw not in stored
    assert row.code_hash == code_hash(issued[0].code) and len(row.code_hash) == 64


def test_activation_answers_token_expiry_and_the_observers_plan(roster, api_client, settings):
    (issued,) = credentials_issue(observers=[roster["A-1"]])
    answer = activate(api_client, issued.code.lower())
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) == {"token", "token_expires_at", "observer"}
    observer = body["observer"]
    assert observer["public_code"] == roster["A-1"].public_code and observer["organization"]["name"] == "Civic Observers"
    assert [(d["station"]["code"], d["position"], d["shift_start"], d["shift_end"]) for d in observer["deployments"]] == [
        ("02001", 0, "07:00:00", "14:00:00"),
        ("05001", 1, "07:00:00", "14:00:00"),
    ]
    expires = dt.datetime.fromisoformat(body["token_expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS))) < dt.timedelta(minutes=1)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = api_client.get("/api/v1/me/").json()
    assert me["public_code"] == roster["A-1"].public_code and me["token_expires_at"] == body["token_expires_at"]
    assert me["deployments"][0]["shift_end"] == "14:00:00"
    assert ApiToken.objects.get(user=roster["A-1"].user).device_label == "test phone"


def test_a_code_works_once(roster, api_client):
    (issued,) = credentials_issue(observers=[roster["A-1"]])
    assert activate(api_client, issued.code).status_code == 201
    again = activate(api_client, issued.code)
    assert again.status_code == 410 and again.json()["code"] == "activation_code_used"


def test_an_expired_code_is_refused(roster, api_client):
    (issued,) = credentials_issue(observers=[roster["A-1"]], valid_hours=1)
    ActivationCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    answer = activate(api_client, issued.code)
    assert answer.status_code == 410 and answer.json()["code"] == "activation_code_expired"


def test_a_new_code_voids_the_old_one(roster, api_client):
    (first,) = credentials_issue(observers=[roster["A-1"]])
    (second,) = credentials_issue(observers=[roster["A-1"]])
    answer = activate(api_client, first.code)
    assert answer.status_code == 410 and answer.json()["code"] == "activation_code_voided"
    assert activate(api_client, second.code).status_code == 201


@pytest.mark.parametrize("typed", ["K7QF-93XB-2MWD", "short", ""])
def test_an_unknown_or_malformed_code_is_400(roster, api_client, typed):
    answer = activate(api_client, typed)
    assert answer.status_code == 400
    assert answer.json().get("code") == "activation_code_invalid" or "code" in answer.json()


def test_failed_attempts_are_throttled_per_address_and_successes_are_not(roster, api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "activate": "3/hour"},
    }
    issued = credentials_issue(observers=[roster["A-1"], roster["A-2"]])
    assert activate(api_client, issued[0].code).status_code == 201  # does not count
    for _ in range(3):
        assert activate(api_client, "K7QF-93XB-2MWD").status_code == 400
    blocked = activate(api_client, issued[1].code)
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled" and int(blocked["Retry-After"]) > 0
    # Another address is not affected.
    assert api_client.post("/api/v1/auth/activate/", {"code": issued[1].code}, format="json", REMOTE_ADDR="10.0.0.7").status_code == 201
    # The web page shares the counter.
    assert api_client.post("/activate/", {"code": "K7QF-93XB-2MWD"}).status_code == 429


def test_coordinators_and_deactivated_observers_get_no_code(roster, world):
    assert credentials_issue(observers=[roster["A-3"], world.observer]) == []  # a coordinator; an observer not on the roster
    roster["A-2"].user.is_active = False
    roster["A-2"].user.save()
    assert credentials_issue(observers=[roster["A-2"]]) == []


def test_the_activation_page_logs_the_phone_in_in_its_language(roster, client):
    page = client.get("/activate/")
    assert page.status_code == 200 and "<script>" not in page.content.decode() and "js/activate.js" in page.content.decode()
    (issued,) = credentials_issue(observers=[roster["A-1"]])
    answer = client.post("/activate/", {"code": issued.code, "device_label": "web phone"})
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert client.cookies["django_language"].value == "kk"
    assert client.get("/reports/new/").status_code == 200
    refused = client.post("/activate/", {"code": issued.code})
    assert refused.status_code == 410 and 'id="id_code_error"' in refused.content.decode()


def test_reissue_logs_out_every_phone_at_once_and_keeps_reports(roster, api_client, client, world):
    from reports.models import IncidentReport
    from tests.conftest import report_payload

    observer = roster["A-1"]
    (first,) = credentials_issue(observers=[observer])
    token = activate(api_client, first.code).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post("/api/v1/reports/", report_payload(world), format="json").status_code == 201
    (second,) = credentials_issue(observers=[observer])
    client.post("/activate/", {"code": second.code})
    assert client.get("/reports/new/").status_code == 200

    new = observer_reissue(observer=observer)
    assert new is not None and CODE.match(new.code)
    refused = api_client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert client.get("/reports/new/").status_code == 302  # to the login page
    assert IncidentReport.objects.filter(submitted_by=observer).count() == 1
    assert activate(api_client.__class__(), new.code).status_code == 201


def test_issue_credentials_writes_the_badge_sheet_and_the_codes_csv(roster, tmp_path, api_client):
    out = io.StringIO()
    sheet = tmp_path / "badges.html"
    call_command("issue_credentials", organization="Civic Observers", output=str(sheet), base_url="https://observe.example.org", stdout=out)
    assert "2 activation codes issued" in out.getvalue()
    html = sheet.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "badges.csv").read_text(encoding="utf-8-sig"))))
    assert [r["external_id"] for r in rows] == ["A-1", "A-2"]
    for row in rows:
        assert CODE.match(row["code"]) and row["code"] in html
        assert row["activation_url"] == f"https://observe.example.org/activate/#{row['code']}"
    assert html.count("<svg viewBox") == 2 and "@page { size: A4" in html
    assert "Aigerim Nurlanova" in html and "02001" in html and "07:00–14:00" in html
    assert "Сіздің учаскелеріңіз" in html  # Aigerim's badge is in Kazakh
    assert activate(api_client, rows[1]["code"]).status_code == 201
