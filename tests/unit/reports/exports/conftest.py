"""Fixtures for the export and verification tests."""

import csv
import dataclasses
import io

import pytest

from tests.filing import file_report

# Descriptions that spreadsheets would run as formulas, and a leading quote. (Intake
# strips leading whitespace from descriptions; the tab, CR and LF triggers are
# tested through station names, which come from the registry as they are.)
INJECTIONS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "'quoted"]
STATION_NAMES = {"far": "\tTab station", "west": "\rCR station"}


@pytest.fixture
def varied_reports(world):
    """Reports with Cyrillic and Kazakh text, commas, quotes and line breaks,
    photos, every formula trigger, and one of another organization; through
    the API but for one by the web form and one by SMS."""
    reports = [
        file_report(world, description="Бюллетени вброшены в урну №2; председатель молчит.", category="ballot_stuffing", photos=2),
        file_report(
            world, description="Сайлау учаскесінде бейне камера өшірілген, «Қазақстан».", category="video_camera_off", source="web"
        ),
        file_report(world, description='He said "vote for us", then left.\nSecond line, with a comma.', gps=None, source="sms"),
    ]
    reports += [file_report(world, description=text, observer=world.observer_2) for text in INJECTIONS]
    for key, station in (("far", world.station_far), ("west", world.station_west)):
        station.name = STATION_NAMES[key]
        station.save(update_fields=["name"])
    reports.append(file_report(world, station=world.station_far, description="Far away.", gps=(51.18, 71.446, 12.0)))
    reports.append(file_report(world, station=world.station_west, description="West.", gps=(50.28, 57.207, 12.0)))
    reports.append(file_report(world, observer=world.other_observer, description="Other mission's report."))
    return reports


def parse(text: str) -> tuple[list[str], list[dict], dict]:
    """(header, data rows as dicts, manifest) of an export's text."""
    records = list(csv.reader(io.StringIO(text)))
    header = records[0]
    rows = [dict(zip(header, r, strict=True)) for r in records[1:] if r and r[0] != "#manifest"]
    manifest = {r[1]: r[2] for r in records[1:] if r and r[0] == "#manifest"}
    return header, rows, manifest


@pytest.fixture
def download(admin_as):
    """GET /exports/reports.csv as `who` → (response, text)."""

    def get(who, query=""):
        response = admin_as(who).get(f"/exports/reports.csv{query}")
        text = b"".join(response.streaming_content).decode("utf-8") if response.status_code == 200 else response.content.decode()
        return response, text

    return get


@pytest.fixture(autouse=True)
def _filed_on_time(settings):
    """The test world's election is in January 2021: left alone, every report
    filed today would also be `late_filing`, which is noise for these tests
    (the rule has its own, in tests/unit/reports/pipeline/)."""
    settings.PIPELINE = dataclasses.replace(settings.PIPELINE, late_filing_hours=24 * 365 * 100)
