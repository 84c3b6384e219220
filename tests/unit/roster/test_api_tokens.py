"""API tokens (roster.tokens, roster.auth): they expire, rotate at login, are
stored as hashes and die when the password, the role or the active flag changes."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from monitoring.services import observer_set_role
from roster.codes import token_key_hash
from roster.models import ApiToken
from tests.conftest import PASSWORD


@pytest.fixture
def login(world, api_client, settings):
    settings.AXES_ENABLED = False
    cache.clear()

    def run(username="observer"):
        answer = api_client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
        assert answer.status_code == 200, answer.content
        return answer.json()

    return run


def me(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client.get("/api/v1/me/")


def test_login_token_expires_after_the_ttl_and_me_says_when(login, api_client, settings):
    body = login()
    expires = dt.datetime.fromisoformat(body["token_expires_at"])
    assert abs(expires - timezone.now() - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)) < dt.timedelta(minutes=1)
    assert me(api_client, body["token"]).json()["token_expires_at"] == body["token_expires_at"]
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = me(api_client, body["token"])
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    assert expired["WWW-Authenticate"] == "Token"


def test_the_key_is_stored_only_as_its_hash(login):
    key = login()["token"]
    token = ApiToken.objects.get()
    assert token.key_hash == token_key_hash(key) and key not in {token.key_hash, token.fingerprint}


def test_a_login_rotates_the_token(login, api_client):
    first = login()["token"]
    second = login()["token"]
    assert first != second
    assert me(api_client, first).status_code == 401
    assert me(api_client, second).status_code == 200


@pytest.mark.parametrize("change", ["password", "role", "inactive", "superuser"])
def test_a_change_of_password_role_or_active_flag_revokes_the_token(world, login, api_client, change):
    key = login()["token"]
    user = world.observer.user
    if change == "password":
        user.set_password("another long passphrase")
        user.save()
    elif change == "role":
        observer_set_role(observer=world.observer, role="coordinator")
    elif change == "inactive":
        user.is_active = False
        user.save()
    else:
        user.is_superuser = True
        user.save()
    answer = me(api_client, key)
    assert answer.status_code == 401 and answer.json()["code"] == "authentication_failed"
    assert not ApiToken.objects.exists()


def test_unchanged_credentials_keep_the_token(world, login, api_client):
    key = login()["token"]
    world.observer.user.last_name = "unrelated"
    world.observer.user.save()
    assert me(api_client, key).status_code == 200


def test_delete_revokes_the_token_of_the_request(login, api_client):
    key = login()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.delete("/api/v1/auth/token/").status_code == 204
    assert me(api_client, key).status_code == 401


def test_a_web_session_shows_its_own_expiry_in_me(world, client):
    client.force_login(world.observer.user)
    body = client.get("/api/v1/me/").json()
    assert dt.datetime.fromisoformat(body["token_expires_at"]) > timezone.now() + dt.timedelta(hours=35)
