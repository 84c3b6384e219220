"""API tokens on real processes (#12 item 4): PostgreSQL and a gunicorn
server. A token logged in with expires after API_TOKEN_TTL_HOURS (401
`token_expired` past it, the expiry set in the database rather than waited
for), `GET /api/v1/me/` says when, a new login rotates it, and a change of the
password, the role or the active flag revokes it at the very next request."""

import datetime as dt

import pytest
from django.conf import global_settings
from django.utils import timezone

from monitoring.services import observer_set_role
from reports.models import IncidentReport
from roster.models import ApiToken
from roster.tokens import token_issue
from testkit.http import get, post_json
from tests.conftest import PASSWORD, report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LOGIN = "/api/v1/auth/token/"
ME = "/api/v1/me/"


def _login(base, username="observer", password=PASSWORD) -> dict:
    answer = post_json(base, LOGIN, {"username": username, "password": password})
    assert answer.status == 200, answer.body
    return answer.json()


def _refused(answer, code: str) -> bool:
    return answer.status == 401 and answer.json()["code"] == code and answer.headers.get("www-authenticate") == "Token"


def test_a_token_expires_says_when_and_a_login_rotates_it(world, settings, gunicorn_server):
    base = gunicorn_server
    # The server hashes passwords with Django's defaults (the personas' MD5 is for in-process speed).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    world.observer.user.set_password(PASSWORD)
    world.observer.user.save(update_fields=["password"])

    first = _login(base)
    expires = dt.datetime.fromisoformat(first["token_expires_at"])
    assert abs(expires - timezone.now() - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)) < dt.timedelta(minutes=1)
    me = get(base, ME, token=first["token"])
    assert me.status == 200 and me.json()["token_expires_at"] == first["token_expires_at"]
    assert me.json()["username"] == "observer"

    # Expired: what the clock would do after the TTL, done in the database.
    ApiToken.objects.filter(user=world.observer.user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _refused(get(base, ME, token=first["token"]), "token_expired")
    filed = post_json(base, "/api/v1/reports/", report_payload(world), token=first["token"])
    assert _refused(filed, "token_expired") and not IncidentReport.objects.exists()

    # A login rotates: the token it replaces is refused although it has not expired.
    second = _login(base)
    assert get(base, ME, token=second["token"]).status == 200
    third = _login(base)
    assert third["token"] != second["token"]
    assert _refused(get(base, ME, token=second["token"]), "authentication_failed")
    assert get(base, ME, token=third["token"]).json()["token_expires_at"] == third["token_expires_at"]
    assert ApiToken.objects.filter(user=world.observer.user).count() == 1


def test_a_change_of_password_role_or_active_flag_revokes_the_token_at_once(world, gunicorn_server):
    base = gunicorn_server
    personas = {"password": world.observer, "role": world.observer_2, "active": world.auditor}
    keys = {change: token_issue(user=who.user, device_label="phone")[1] for change, who in personas.items()}
    assert all(get(base, ME, token=key).status == 200 for key in keys.values())
    untouched = token_issue(user=world.coordinator.user)[1]

    world.observer.user.set_password("a new passphrase after the phone was seized")
    world.observer.user.save()
    observer_set_role(observer=world.observer_2, role="coordinator")
    world.auditor.user.is_active = False
    world.auditor.user.save()

    for change, key in keys.items():
        assert _refused(get(base, ME, token=key), "authentication_failed"), change
    assert not ApiToken.objects.filter(user__in=[who.user for who in personas.values()]).exists()
    assert get(base, ME, token=untouched).status == 200
