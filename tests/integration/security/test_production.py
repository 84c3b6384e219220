"""The production configuration, proven on real processes: `check --deploy`
passes, HTTPS-only cookies, HSTS, CSP and nosniff are sent, tokens can be
revoked, logins are locked out after repeated failures on every door (web,
admin, token), API throttling counts across web servers through the shared
Redis cache (429), and the logs of a busy run hold no secret and no
observer's personal data."""

import re
import subprocess
import sys
import urllib.parse
from http.cookies import SimpleCookie

import pytest

from monitoring.services import observer_create
from roster.tokens import token_issue
from testkit.http import get, post_json, post_multipart, request
from testkit.images import jpeg_bytes
from testkit.processes import ROOT, gunicorn, start_worker, stop
from tests.conftest import report_payload
from tests.integration.security.conftest import HOST, https_headers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Browser:
    """Cookies and CSRF like a browser behind the HTTPS proxy."""

    def __init__(self, base):
        self.base, self.cookies = base, {}

    def _remember(self, answer):
        for key, value in answer.headers.items():
            if key == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
        return answer

    def _headers(self, extra=None):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return https_headers(**({"Cookie": cookie} if cookie else {}), **(extra or {}))

    def get(self, path):
        return self._remember(request(self.base, "GET", path, headers=self._headers()))

    def post_form(self, path, data):
        page = self.get(path).body.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        headers = self._headers(
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"}
        )
        return self._remember(request(self.base, "POST", path, body=body, headers=headers))


def test_production_environment_passes_check_deploy(production_env):
    env = production_env()
    ok = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env, capture_output=True
    )
    assert ok.returncode == 0, ok.stderr.decode()[-2000:]
    # The check is not vacuous: weakening one setting makes it fail.
    weak = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, "SECURE_HSTS_SECONDS": "0"},
        capture_output=True,
    )
    assert weak.returncode != 0 and b"security.W004" in weak.stderr


def test_https_headers_secure_cookies_and_token_revocation(real_passwords, production_env, tmp_path):
    with gunicorn(tmp_path / "gunicorn.log", env=production_env()) as base:
        plain = request(base, "GET", "/login/", headers={"Host": HOST})
        assert plain.status == 301 and plain.headers["location"].startswith(f"https://{HOST}/")

        browser = Browser(base)
        page = browser.get("/login/")
        assert page.status == 200
        assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "same-origin"
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert re.search(r"csrftoken=[^;]+;.*Secure", page.headers["set-cookie"])

        login = browser.post_form("/login/", {"username": "observer", "password": "correct horse battery"})
        assert login.status == 302, login.body[:500]
        session_cookie = login.headers["set-cookie"]
        assert "sessionid=" in session_cookie and "Secure" in session_cookie and "HttpOnly" in session_cookie

        api = get(base, "/api/v1/me/", headers=https_headers())
        assert api.status == 401 and api.headers["x-content-type-options"] == "nosniff"
        token = post_json(
            base, "/api/v1/auth/token/", {"username": "observer", "password": "correct horse battery"}, headers=https_headers()
        )
        key = token.json()["token"]
        assert get(base, "/api/v1/me/", token=key, headers=https_headers()).status == 200
        revoked = request(base, "DELETE", "/api/v1/auth/token/", headers=https_headers(Authorization=f"Token {key}"))
        assert revoked.status == 204
        assert get(base, "/api/v1/me/", token=key, headers=https_headers()).status == 401


def test_brute_force_is_locked_out_on_web_admin_and_token_logins(real_passwords, production_env, tmp_path, settings):
    limit = settings.AXES_FAILURE_LIMIT
    with gunicorn(tmp_path / "gunicorn.log", env=production_env(API_THROTTLE_LOGIN="1000/min")) as base:
        for door, user in (("/login/", "observer"), ("/admin/login/", "coordinator")):
            browser = Browser(base)
            statuses = [browser.post_form(door, {"username": user, "password": "guess"}).status for _ in range(limit)]
            assert statuses == [200] * (limit - 1) + [429], (door, statuses)  # the form again, then locked
            locked = Browser(base).post_form(door, {"username": user, "password": "correct horse battery"})
            assert locked.status == 429, (door, locked.status)  # right password, still refused
            assert "sessionid" not in locked.headers.get("set-cookie", "")
        for _ in range(limit):
            post_json(base, "/api/v1/auth/token/", {"username": "auditor", "password": "guess"}, headers=https_headers())
        locked = post_json(
            base, "/api/v1/auth/token/", {"username": "auditor", "password": "correct horse battery"}, headers=https_headers()
        )
        assert locked.status == 403 and locked.json()["code"] == "locked_out" and "token" not in locked.json()
        # Another account from the same address is not locked (username + IP).
        other = post_json(
            base, "/api/v1/auth/token/", {"username": "observer-2", "password": "correct horse battery"}, headers=https_headers()
        )
        assert other.status == 200


def test_api_throttling_is_shared_across_web_servers_through_redis(world, production_env, tmp_path):
    env = production_env(API_THROTTLE_USER="6/min", API_THROTTLE_LOGIN="6/min")
    token = token_issue(user=world.observer.user)[1]
    with gunicorn(tmp_path / "a.log", env=env, workers=1) as a, gunicorn(tmp_path / "b.log", env=env, workers=1) as b:
        # Alternate between two web servers: each alone has seen at most 4 requests,
        # so only a shared counter can throttle the 7th.
        user = [get((a, b)[i % 2], "/api/v1/me/", token=token, headers=https_headers()).status for i in range(7)]
        anonymous = [
            post_json((a, b)[i % 2], "/api/v1/auth/token/", {"username": f"nobody-{i}", "password": "x"}, headers=https_headers()).status
            for i in range(7)
        ]
    assert user == [200] * 6 + [429], user
    assert anonymous == [401] * 6 + [429], anonymous


SECRET_PASSWORD = "Zh3ltoksan-Qupia-S0z!"


def test_logs_hold_no_secrets_and_no_personal_data(real_passwords, production_env, tmp_path, settings):
    world = real_passwords
    observer_create(
        username="aigerim.nurlanova",
        password=SECRET_PASSWORD,
        organization=world.observer.organization,
        role="observer",
        badge_number="KZ-BADGE-77123",
        first_name="Aigerim",
        last_name="Nurlanova",
        email="aigerim.n@example.kz",
    )
    env = production_env(LOG_LEVEL="DEBUG", API_THROTTLE_LOGIN="1000/min")
    worker = start_worker(tmp_path / "worker.log", extra_env={k: env[k] for k in ("CELERY_BROKER_URL", "CELERY_KEY_PREFIX", "LOG_LEVEL")})
    secrets_seen = [SECRET_PASSWORD, "wrong-Password-123", "aigerim", "Aigerim", "Nurlanova", "aigerim.n@example.kz", "KZ-BADGE-77123"]
    try:
        with gunicorn(tmp_path / "gunicorn.log", env=env) as base:
            for door in ("/login/", "/admin/login/"):
                Browser(base).post_form(door, {"username": "aigerim.nurlanova", "password": "wrong-Password-123"})
            for _ in range(settings.AXES_FAILURE_LIMIT + 1):  # through to a lockout
                post_json(
                    base,
                    "/api/v1/auth/token/",
                    {"username": "aigerim.nurlanova", "password": "wrong-Password-123"},
                    headers=https_headers(),
                )
            from axes.utils import reset

            reset(username="aigerim.nurlanova")
            key = post_json(
                base, "/api/v1/auth/token/", {"username": "aigerim.nurlanova", "password": SECRET_PASSWORD}, headers=https_headers()
            )
            token = key.json()["token"]
            secrets_seen.append(token)
            ids = []
            for i in range(3):
                answer = post_multipart(
                    base,
                    "/api/v1/reports/",
                    report_payload(world, description=f"Report {i}"),
                    [("photos", "p.jpg", "image/jpeg", jpeg_bytes())],
                    token=token,
                    headers=https_headers(),
                )
                assert answer.status == 201, answer.body
                ids.append(answer.json()["id"])
            assert post_json(base, "/api/v1/reports/", {"client_uuid": "nope"}, token=token, headers=https_headers()).status == 400
            browser = Browser(base)
            browser.post_form("/login/", {"username": "aigerim.nurlanova", "password": SECRET_PASSWORD})
            browser.get("/reports/")
            request(base, "DELETE", "/api/v1/auth/token/", headers=https_headers(Authorization=f"Token {token}"))
            get(base, "/api/v1/me/", token=token, headers=https_headers())  # revoked: 401
            for name in ("sessionid", "csrftoken"):
                if name in browser.cookies:
                    secrets_seen.append(browser.cookies[name])
        from reports.models import IncidentReport
        from testkit.processes import wait_for

        wait_for(lambda: IncidentReport.objects.filter(pk__in=ids, state="accepted").count() == 3, timeout=60, message="processing")
    finally:
        stop(worker.proc)

    logs = {"gunicorn": (tmp_path / "gunicorn.log").read_text(errors="replace"), "worker": worker.log_text()}
    assert len(logs["gunicorn"]) > 1000 and "reports.tasks.process_report" in logs["worker"]
    found = {f"{name}: {secret!r}" for name, text in logs.items() for secret in secrets_seen if secret.lower() in text.lower()}
    assert not found, found
