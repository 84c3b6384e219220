"""Capture the triage console screenshots in docs/screenshots/ with a real browser.

    .venv/bin/python docs/screenshots/capture.py

Builds a throw-away demo (SQLite in a temporary folder: `load_demo` with 160
reports, two of them with photos, and a few triage decisions), serves it with
`manage.py runserver` on a free loopback port, logs in as demo-coordinator in
headless Chromium (/usr/bin/chromium, or $CHROMIUM) and saves queue.png,
report.png and situation.png. The map tile URL points nowhere, as on a machine
without internet: the situation map shows its points without a background.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
PASSWORD = "observe2021"

ENRICH = """
import datetime as dt, io, uuid, zoneinfo
from PIL import Image, ImageDraw
from django.contrib.auth import get_user_model
from monitoring.models import Election, Observer, PollingStation
from reports.models import IncidentCategory, IncidentReport
from reports.services.intake import ReportInput, submission_submit
from reports.services.pipeline import report_process
from reports.services.triage import flag_decide, report_assign, report_decide

def photo(colour, label):
    image = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((220, 160, 420, 400), outline=(20, 20, 20), width=6)
    draw.rectangle((290, 140, 350, 170), fill=(20, 20, 20))
    draw.text((20, 20), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()

election = Election.objects.get(code="kz-majilis-2021")
observer = Observer.objects.get(user__username="demo-observer")
coordinator = get_user_model().objects.get(username="demo-coordinator")
station = observer.deployments.first().station
almaty = zoneinfo.ZoneInfo("Asia/Almaty")
report = submission_submit(observer=observer, data=ReportInput(
    client_uuid=uuid.UUID("0f0e0d0c-0000-4000-8000-00000000beef"), election=election, station=station,
    category=IncidentCategory.objects.get(code="ballot_stuffing"), severity=None,
    occurred_at=dt.datetime(2021, 1, 10, 11, 42, tzinfo=almaty),
    description="Мужчина опустил в урну №2 пачку бюллетеней; председатель комиссии отвернулся. Two other observers saw it.",
    latitude=station.latitude + 0.012, longitude=station.longitude + 0.004, accuracy_m=18.0,
), source="web", photos=[photo((90, 110, 140), "IMG_2041"), photo((120, 90, 80), "IMG_2042")]).submission
report_process(report_id=report.pk)
report_assign(report_id=report.pk, actor=coordinator, assignee=coordinator, note="taking this one")
flag = report.flags.get(code="off_site")
flag_decide(flag_id=flag.pk, actor=coordinator, decision="confirm", note="photos taken outside the school building")
mine = IncidentReport.objects.filter(organization=observer.organization, triage_status="new").order_by("-risk_score")
for r in mine[:6]:
    report_decide(report_id=r.pk, actor=coordinator, status="verified", note="confirmed by phone")
for r in mine[6:9]:
    report_decide(report_id=r.pk, actor=coordinator, status="under_review")
print("REPORT", report.pk)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
        env.update(
            DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
            MEDIA_ROOT=f"{tmp}/media",
            LOG_LEVEL="WARNING",
            MAP_TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png",
            PYTHONWARNINGS="ignore",
        )
        manage = [sys.executable, "manage.py"]
        for args in (["migrate", "-v0"], ["load_demo", "--password", PASSWORD, "--reports", "160"]):
            subprocess.run(manage + args, cwd=ROOT, env=env, check=True, capture_output=True)
        enriched = subprocess.run(manage + ["shell", "-c", ENRICH], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        report_id = enriched.stdout.split("REPORT", 1)[1].split()[0]

        port = free_port()
        server = subprocess.Popen(
            manage + ["runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.3)
            base = f"http://127.0.0.1:{port}"
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                    args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                page = browser.new_page(viewport={"width": 1680, "height": 1000})
                page.goto(f"{base}/admin/login/?next=/admin/reports/submission/")
                page.fill("#id_username", "demo-coordinator")
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_selector("#result_list")
                page.click("#toggle-nav-sidebar")  # more room for the queue
                page.evaluate("window.scrollTo(0, 0)")
                page.wait_for_timeout(300)
                page.screenshot(path=str(OUT / "queue.png"))

                page.goto(f"{base}/admin/reports/submission/{report_id}/change/")
                page.wait_for_function("() => [...document.querySelectorAll('ul.photos img')].every(i => i.complete && i.naturalWidth > 0)")
                page.screenshot(path=str(OUT / "report.png"), full_page=True)

                page.goto(f"{base}/admin/reports/submission/situation/")
                page.wait_for_selector("#situation-map[data-points-loaded]")
                page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / "situation.png"), full_page=True)
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
    print(f"saved {', '.join(p.name for p in sorted(OUT.glob('*.png')))} in {OUT}")


if __name__ == "__main__":
    main()
