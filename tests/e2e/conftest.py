"""End-to-end fixtures: the app in embedded mode (SQLite file, eager pipeline)
as a separate process behind a switchable TCP proxy (tests/e2e/netcut.py), and
Debian's Chromium driven by Playwright on a phone-sized viewport.

The tests read the server's database with sqlite3 directly (the ORM stays out
of Playwright's event-loop thread). Where CI=true a missing Chromium fails the
run; elsewhere the e2e tests are skipped with the reason."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.processes import ROOT, free_port, spawn, stop, wait_for_log

from .netcut import SwitchableProxy
from .seed import PASSWORD, STATION

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
OUTPUT = ROOT / "test-results" / "e2e"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 640}
NEAR_STATION = {"latitude": 43.2527, "longitude": 76.9118, "accuracy": 12}


# Every Playwright call has its own timeout; this bounds a whole test (browser or
# driver wedged), well above the slowest test's usual run.
E2E_TEST_TIMEOUT_S = 240


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(E2E_TEST_TIMEOUT_S))


def _requirements() -> list[str]:
    problems = []
    if not Path(CHROMIUM).exists():
        problems.append(f"{CHROMIUM} is missing (make browser installs Debian's chromium)")
    if not AXE.exists():
        problems.append("node_modules/axe-core is missing (make browser runs npm ci)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed (make venv-dev)")
    return problems


@pytest.fixture(scope="session")
def e2e_requirements():
    problems = _requirements()
    if problems:
        message = "e2e tests need " + "; ".join(problems)
        if CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@dataclass
class App:
    url: str
    proxy: SwitchableProxy
    database: Path
    log: Path

    def query(self, sql: str, params=()) -> list[tuple]:
        with sqlite3.connect(self.database, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def reports_of(self, username: str) -> list[dict]:
        rows = self.query(
            """SELECT r.id, r.client_uuid, r.state, r.description, r.latitude, r.location_source,
                      r.claimed_station_distance_m, r.geo_settlement,
                      (SELECT group_concat(f.code) FROM reports_flag f WHERE f.report_id = r.id),
                      (SELECT count(*) FROM reports_attachment a WHERE a.report_id = r.id)
               FROM reports_submission r
               JOIN monitoring_observer o ON o.id = r.submitted_by_id
               JOIN auth_user u ON u.id = o.user_id
               WHERE u.username = ? AND r.kind = 'incident' ORDER BY r.received_at""",
            (username,),
        )
        keys = ["id", "client_uuid", "state", "description", "latitude", "location_source", "distance_m", "settlement", "flags", "photos"]
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def checkins_of(self, username: str) -> list[dict]:
        rows = self.query(
            """SELECT r.id, r.client_uuid, r.checkin_kind, r.state, r.source, r.latitude, r.location_source,
                      (SELECT group_concat(f.code) FROM reports_flag f WHERE f.report_id = r.id)
               FROM reports_submission r
               JOIN monitoring_observer o ON o.id = r.submitted_by_id
               JOIN auth_user u ON u.id = o.user_id
               WHERE u.username = ? AND r.kind = 'checkin' ORDER BY r.occurred_at, r.chain_seq""",
            (username,),
        )
        keys = ["id", "client_uuid", "kind", "state", "source", "latitude", "location_source", "flags"]
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def set_network(self, up: bool) -> None:
        self.proxy.up() if up else self.proxy.down()


def _server_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'e2e.sqlite3'}",
        MEDIA_ROOT=str(tmp / "media"),
        DEBUG="true",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


@pytest.fixture(scope="session")
def app(e2e_requirements, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-server")
    env = _server_env(tmp)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-m", "tests.e2e.seed"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = tmp / "server.log"
    server = spawn([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], log, env)
    proxy = None
    try:
        wait_for_log(log, "Quit the server", server)
        proxy = SwitchableProxy(port)
        url = f"http://127.0.0.1:{proxy.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield App(url=url, proxy=proxy, database=tmp / "e2e.sqlite3", log=log)
    finally:
        if proxy is not None:
            proxy.close()
        stop(server)


@pytest.fixture(scope="session")
def browser(e2e_requirements):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, app):
    """A fresh phone: 360×640, touch, GPS near station 02001 (unless told otherwise)."""
    contexts = []

    def make(*, geolocation=NEAR_STATION, grant_geolocation=True, javascript=True, locale="en-US"):
        options = dict(
            viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, base_url=app.url,
            java_script_enabled=javascript, locale=locale, service_workers="allow",
        )  # fmt: skip
        if geolocation is not None:
            options["geolocation"] = geolocation
        if grant_geolocation:
            options["permissions"] = ["geolocation"]
        context = browser.new_context(**options)
        context.set_default_timeout(20000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/reports/new/")


def wait_offline_ready(page) -> None:
    """The service worker controls the page and has saved the pages for offline use."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_selector("html[data-offline-ready=true]", state="attached")


def outbox_count(page) -> int:
    return int(page.get_attribute("#outbox-status", "data-waiting") or -1)


def wait_outbox(page, count: int, timeout: float = 60000) -> None:
    page.wait_for_function(
        "(n) => document.querySelector('#outbox-status').getAttribute('data-waiting') === n", arg=str(count), timeout=timeout
    )


def fill_report(page, *, category="ballot_box_not_sealed", description="", photo: bytes | None = None) -> None:
    page.wait_for_selector("#report-form[data-enhanced=true]")
    page.select_option("#id_category", category)
    page.fill("#id_description", description)
    if photo is not None:
        page.set_input_files("#id_photos", files=[{"name": "evidence.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        page.wait_for_selector("#photos-status[data-ready='1']", state="attached")


def save_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """The page (or only what the phone's screen shows) in test-results/e2e/, and
    in E2E_DOCS_SCREENSHOTS when set (the README's screenshots)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    docs = os.environ.get("E2E_DOCS_SCREENSHOTS")
    if docs:
        Path(docs).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(docs) / path.name)
    return path


def record_measurement(name: str, value) -> None:
    """Measured figures (page weight, counts) go to test-results/e2e/measurements.json, never into assertions on time."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / "measurements.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


__all__ = ["STATION", "PASSWORD", "log_in", "wait_offline_ready", "outbox_count", "wait_outbox", "fill_report", "save_screenshot"]


def send_and_wait_sent(page, timeout: float = 60000) -> None:
    """Press "Send report" and wait until the outbox is empty after a new successful sending."""
    before = page.get_attribute("#outbox-status", "data-last-sync")
    page.click("#send")
    page.wait_for_function(
        """(before) => {
            const s = document.querySelector('#outbox-status');
            return s.getAttribute('data-waiting') === '0' && s.getAttribute('data-last-sync') !== before;
        }""",
        arg=before,
        timeout=timeout,
    )


def queue_offline(page, expected_waiting: int) -> None:
    page.click("#send")
    wait_outbox(page, expected_waiting)
    page.wait_for_function("() => document.querySelector('#id_description').value === ''")


def wait_for_state(app, username: str, count: int, *, timeout: float = 60) -> list[dict]:
    """Poll the server's database until `count` reports of `username` are past the pipeline."""
    deadline = time.monotonic() + timeout
    reports = []
    while time.monotonic() < deadline:
        reports = app.reports_of(username)
        if len(reports) >= count and all(r["state"] in ("accepted", "rejected") for r in reports):
            return reports
        time.sleep(0.2)
    raise AssertionError(f"expected {count} processed reports of {username}, have {reports}")


FETCH_PROBE = "() => fetch('/healthz', {cache: 'no-store'}).then(r => 'status ' + r.status, e => 'failed: ' + e.message)"


def service_worker(context):
    return context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")


def jpeg(width: int = 2400, height: int = 1800, colour=(30, 90, 160)) -> bytes:
    """A camera-sized photo with some detail (so it does not compress to nothing)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 40):
        draw.line([(i, 0), (width - i, height)], fill=((i * 7) % 255, (i * 3) % 255, 200), width=3)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def server_log_responses(app, offset: int, path: str = "/api/v1/reports/") -> list[int]:
    """Status codes of POSTs to `path` in the server log written after `offset`."""
    import re

    text = app.log.read_bytes()[offset:].decode("utf-8", "replace")
    return [int(code) for code in re.findall(rf'"POST {re.escape(path)} HTTP/1\.1" (\d{{3}})', text)]
