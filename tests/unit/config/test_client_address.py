"""Whose address is it? Login throttling (DRF) and login lockout (django-axes)
count per client address. Directly on the internet (NUM_PROXIES=0) that is
REMOTE_ADDR, and an X-Forwarded-For header a client made up changes nothing;
behind N reverse proxies (README "Running in production") it is the address
the first proxy saw, so one client cannot lock every other one out."""

import pytest
from django.core.cache import cache

from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # throttle counters live in the (process-local) cache
    yield
    cache.clear()


@pytest.fixture
def proxies(settings):
    def set_count(count: int):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return set_count


def _token(api_client, username, password, **headers):
    return api_client.post(TOKEN, {"username": username, "password": password}, format="json", **headers)


def test_default_is_no_proxy():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_a_made_up_forwarded_for_does_not_evade_the_login_throttle(world, api_client, settings):
    """34 requests, each claiming another address: 30 per minute, then 429. (The
    address is also locked out after AXES_IP_FAILURE_LIMIT failures: 403 before
    the throttle's 429.)"""
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    locked_from = settings.AXES_IP_FAILURE_LIMIT - 1  # the failure that reaches the limit is answered locked out
    statuses = [
        _token(api_client, f"nobody-{i}", "x", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}", REMOTE_ADDR="203.0.113.5").status_code
        for i in range(limit + 4)
    ]
    assert statuses == [401] * locked_from + [403] * (limit - locked_from) + [429] * 4, statuses


def test_a_made_up_forwarded_for_does_not_evade_the_lockout(world, api_client, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _token(api_client, "observer", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}", REMOTE_ADDR="203.0.113.5")
    locked = _token(api_client, "observer", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.77", REMOTE_ADDR="203.0.113.5")
    assert locked.status_code == 403 and locked.json()["code"] == "locked_out"


def test_behind_a_proxy_one_client_cannot_lock_out_or_throttle_another(world, api_client, settings, proxies):
    proxies(1)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", **proxy}
    observer = {"HTTP_X_FORWARDED_FOR": "198.51.100.7", **proxy}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _token(api_client, "observer", "guess", **attacker)
    assert _token(api_client, "observer", PASSWORD, **attacker).status_code == 403  # the attacker is locked out
    assert _token(api_client, "observer", PASSWORD, **observer).status_code == 200  # the observer is not

    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    spoofing = {"REMOTE_ADDR": "10.0.0.2"}
    attempts = [
        _token(api_client, f"nobody-{i}", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9", **spoofing).status_code
        for i in range(limit)
    ]
    assert attempts[-1] == 429  # what the client wrote before the proxy's entry does not count
    assert _token(api_client, "observer-2", PASSWORD, **observer).status_code == 200


def test_behind_a_proxy_a_malformed_forwarded_address_falls_back_to_the_proxy(world, client, proxies):
    proxies(1)
    response = client.post(
        "/login/", {"username": "observer", "password": "wrong"}, HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 200
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(username="observer").ip_address == "10.0.0.2"
