"""From a printed badge to a filed report, as an observer would: the
coordinator imports the roster and issues credentials (the real commands on
the e2e server's database), the badge sheet is rendered in Chromium, its QR
code is read from the rendered image by a real decoder (zxing-cpp), and the
decoded address opened on a 360×640 phone logs it in and files a report
without any password being typed."""

import csv
import io
import subprocess
import sys

import pytest
import zxingcpp
from PIL import Image

from testkit.processes import ROOT

from .conftest import _server_env, fill_report, save_screenshot, send_and_wait_sent, wait_for_state

pytestmark = pytest.mark.e2e

ROSTER = (
    "external_id,full_name,phone,email,language,role,stations,shift_start,shift_end\n"
    "E2E-QR-1,Aigerim Nurlanova,+7 701 555 0191,,en,observer,02003 02002,07:00 14:00,14:00 21:00\n"
    "E2E-QR-2,Daniyar Sadykov,+7 701 555 0192,,ru,observer,02002,07:00,21:00\n"
    "E2E-QR-3,Saule Abenova,+7 701 555 0193,,kk,observer,05001,07:00,20:00\n"
)


def _manage(app, *args) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_server_env(app.database.parent), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_badge_qr_code_logs_a_phone_in_and_it_files_a_report(app, browser, new_context, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    organization = "Civic Observers (e2e)"
    assert "3 created" in _manage(app, "import_observers", str(roster), "--organization", organization, "--election", "kz-e2e-2021")
    sheet = tmp_path / "badges.html"
    _manage(app, "issue_credentials", "--organization", organization, "--output", str(sheet), "--base-url", app.url)
    rows = {r["external_id"]: r for r in csv.DictReader(io.StringIO(sheet.with_suffix(".csv").read_text(encoding="utf-8-sig")))}
    public_code = rows["E2E-QR-1"]["public_code"]

    # The badge sheet as the coordinator's browser renders it (and prints it: A4).
    desk = browser.new_context(viewport={"width": 900, "height": 1200}, device_scale_factor=2)
    sheet_page = desk.new_page()
    sheet_page.goto(sheet.as_uri())
    badge = sheet_page.locator(f"article.badge[data-public-code='{public_code}']")
    assert "07:00–14:00" in badge.inner_text() and "Aigerim Nurlanova" in badge.inner_text()
    save_screenshot(sheet_page, "badges")
    pdf = sheet_page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    png = badge.locator("[data-qr] svg").screenshot()
    desk.close()

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(decoded) == 1 and decoded[0].format == zxingcpp.BarcodeFormat.QRCode
    url = decoded[0].text
    assert url.startswith(f"{app.url}/activate/#") and url.split("#", 1)[1] == rows["E2E-QR-1"]["code"]

    # A new phone opens the scanned address: no username, no password.
    phone = new_context().new_page()
    phone.goto(url)
    phone.wait_for_url("**/reports/new/")
    assert phone.evaluate("() => location.hash") == ""
    phone.wait_for_selector("#station-suggestions button[data-code='02002']")
    offered = phone.eval_on_selector_all("#station-suggestions button", "(bs) => bs.map((b) => b.dataset.code)")
    assert offered[:2] == ["02003", "02002"]  # the planned stations first, the primary one at the top
    # (Filed at 02003: the other scenarios' reports at 02001 must not reach a hot spot because of this one.)
    phone.click("#station-suggestions button[data-code='02003']")
    fill_report(phone, description="Seen after activating with the badge.")
    send_and_wait_sent(phone)
    reports = wait_for_state(app, public_code.lower(), 1)
    assert len(reports) == 1 and reports[0]["description"] == "Seen after activating with the badge."

    # The same badge cannot log in a second phone.
    second = new_context().new_page()
    second.goto(url)
    second.wait_for_selector("#id_code_error")
    assert "/activate/" in second.url
