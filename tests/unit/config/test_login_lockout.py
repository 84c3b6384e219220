"""Login lockout (django-axes, config/lockout.py) per account and per address:
a username+address pair is locked after AXES_FAILURE_LIMIT failures, and an
address after AXES_IP_FAILURE_LIMIT failures across every username, so one
address cannot spray a password over many accounts. The address limit is
higher: a training room of observers shares one address."""

import pytest
from django.core.cache import cache

from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token/"
ATTACKER = "203.0.113.9"
ELSEWHERE = "198.51.100.7"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    cache.clear()  # the login throttle must not end the spray before the lockout does
    settings.AXES_IP_FAILURE_LIMIT = 8


def _token(api_client, username, password, address):
    return api_client.post(TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def _spray(api_client, count, address=ATTACKER, start=0):
    return [_token(api_client, f"user-{n}", "Spring2021!", address).status_code for n in range(start, start + count)]


def test_both_locks_are_on_by_default():
    from config import settings  # the module's values, not this file's override

    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "ip_address"]
    assert settings.AXES_IP_FAILURE_LIMIT == 20 > settings.AXES_FAILURE_LIMIT == 5


def test_spraying_usernames_from_one_address_locks_that_address(world, api_client, settings):
    assert _spray(api_client, settings.AXES_IP_FAILURE_LIMIT - 1) == [401] * (settings.AXES_IP_FAILURE_LIMIT - 1)
    assert _spray(api_client, 1, start=100) == [403]  # the failure that reaches the limit is answered locked out
    locked = _token(api_client, "observer", PASSWORD, ATTACKER)  # and so is a right password of a real account
    assert locked.status_code == 403 and locked.json()["code"] == "locked_out" and "token" not in locked.json()
    assert _token(api_client, "observer", PASSWORD, ELSEWHERE).status_code == 200  # the account itself is not locked


def test_the_web_login_is_locked_for_the_address_too(world, client, api_client, settings):
    _spray(api_client, settings.AXES_IP_FAILURE_LIMIT)
    response = client.post("/login/", {"username": "observer", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert client.post("/login/", {"username": "observer", "password": PASSWORD}, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_the_per_account_lock_still_comes_first(world, api_client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(api_client, "observer", "wrong", ATTACKER).status_code == 401
    assert _token(api_client, "observer", "wrong", ATTACKER).status_code == 403
    assert _token(api_client, "observer", PASSWORD, ATTACKER).status_code == 403  # this account, from this address
    assert _token(api_client, "observer-2", PASSWORD, ATTACKER).status_code == 200  # another account, below the address limit
    assert _token(api_client, "observer", PASSWORD, ELSEWHERE).status_code == 200  # the same account elsewhere


def _web_login(client, username, password, address=ATTACKER):
    response = client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)
    client.logout()
    return response.status_code  # 302 logged in, 200 refused, 429 locked out


def test_logging_in_to_ones_own_account_does_not_reset_the_address(world, client, api_client, settings):
    """A successful login forgives only that account's failures from this address."""
    _spray(api_client, settings.AXES_IP_FAILURE_LIMIT - 1)
    assert _web_login(client, "observer-2", PASSWORD) == 302  # the attacker's own account
    _spray(api_client, 1, start=100)
    assert _web_login(client, "observer-2", PASSWORD) == 429


def test_a_users_typos_are_forgiven_when_they_log_in(world, client, settings):
    for _round in range(3):  # more typos in all than either limit, a success after each few
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _web_login(client, "observer", "wrong") == 200
        assert _web_login(client, "observer", PASSWORD) == 302
