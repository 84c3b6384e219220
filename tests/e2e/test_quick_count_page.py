"""The quick count's results page in a real browser (headless Chromium): a
coordinator sees the sample reported, the estimates with their margins, the
official figures outside the margin marked, and the plot; no CSP violation.
Its screenshot is docs/screenshots/quick-count-results.png."""

import os
import random
import re
import shutil
from pathlib import Path

import pytest

from checklists.official_rows import COLUMNS
from checklists.services.official import official_results_import
from checklists.services.samples import sample_draw
from tests.conftest import PASSWORD
from tests.unit.checklists.filing import CHECKLISTS, checklist_payload, counting_answers, forms_load

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"
PARTIES = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]
VOTES = {"02001": (430, 70, 55, 33, 22)}  # each reporting station: these, give or take a fifth
# The commission's figures: Ak Zhol given far more than the sample shows, so it lies outside the margin.
OFFICIAL = {"nur_otan": 1150, "ak_zhol": 420, "peoples_party": 150, "auyl": 90, "adal": 60}


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def filed(world):
    from rest_framework.test import APIClient

    from checklists.models import SampleStation
    from testkit.factories import PollingStationFactory

    for i in range(40):
        PollingStationFactory(
            election=world.election, code=f"02{100 + i}", district=world.station.district, latitude=43.25 + i / 1000, longitude=76.91
        )
    forms_load(world.election)
    sample_draw(election=world.election, size=20, seed=7)
    lines = [",".join(COLUMNS) + "\n"] + [f"national,{p},{v},3000,2000\n" for p, v in OFFICIAL.items()]
    official_results_import(election=world.election, lines=lines)
    client = APIClient()
    client.force_authenticate(world.observer.user)
    rng = random.Random(3)
    sampled = SampleStation.objects.filter(sample__election=world.election).values_list("station__code", flat=True)
    for n, station in enumerate(sampled):
        if n == 17:
            break  # three sampled stations have not reported yet
        votes = [max(0, round(v * rng.uniform(0.8, 1.2))) for v in VOTES["02001"]]
        answers = counting_answers(**{f"votes_{p}": v for p, v in zip(PARTIES, votes, strict=True)}, ballots_cast=sum(votes) + 8)
        response = client.post(CHECKLISTS, checklist_payload(world, station=station, answers=answers), format="json")
        assert response.status_code == 201, response.json()
    return world


def test_a_coordinator_reads_the_quick_count_with_its_plot(filed, live_server):
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (make browser)", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(20000)
            problems = []
            page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text or m.type == "error" else None)
            page.goto(f"{live_server.url}/admin/login/?next=/admin/checklists/sample/results/")
            page.fill("#id_username", "coordinator")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(re.compile(r".*/admin/checklists/sample/results/$"))
            assert page.text_content("#reported").startswith("17 of 20 sampled stations reported.")
            assert page.locator("svg.quick-count-plot circle").count() == 6  # turnout and five parties
            assert page.locator("svg.quick-count-plot path.official.outside").count() >= 1
            assert page.locator("tr.outside").filter(has_text="Ak Zhol").count() == 1
            assert [p for p in problems if "Content Security Policy" in p or "blocked" in p] == [], problems
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / "quick-count-results.png"
            page.screenshot(path=str(path), full_page=True)
            docs = os.environ.get("E2E_DOCS_SCREENSHOTS")
            if docs:
                shutil.copy(path, Path(docs) / path.name)
        finally:
            browser.close()
