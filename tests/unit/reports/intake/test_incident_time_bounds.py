"""Incident times at the extremes of what Python can represent: refused at every
intake door (API, web form) with a field error, ignored when a photo's EXIF
says so, and never a crash on the pages and exports that show a report
already stored with one (the time helpers: tests/unit/monitoring/test_localtime.py)."""

import datetime as dt
import uuid

import pytest

from reports.models import Attachment, IncidentReport
from testkit.images import photo_with_exif
from tests.conftest import report_payload
from tests.filing import file_report

REPORTS = "/api/v1/reports/"

EXTREME_API_TIMES = [
    "9999-12-31T23:00:00Z",
    "9999-12-31T23:00:00-05:00",  # UTC would be year 10000
    "0001-01-01T00:00:00+06:00",  # UTC would be year 0
    "0001-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
]


@pytest.mark.parametrize("occurred_at", EXTREME_API_TIMES)
def test_api_refuses_an_incident_time_outside_the_sane_years(world, as_user, occurred_at):
    response = as_user(world.observer).post(REPORTS, report_payload(world, occurred_at=occurred_at), format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["occurred_at"]
    assert "2000" in response.json()["occurred_at"][0] and "2100" in response.json()["occurred_at"][0]
    assert IncidentReport.objects.count() == 0


def test_api_refusal_is_in_the_observers_language(world, as_user):
    api = as_user(world.observer)
    response = api.post(REPORTS, report_payload(world, occurred_at="9999-12-31T23:00:00Z"), format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "2000" in response.json()["occurred_at"][0] and "Время" in response.json()["occurred_at"][0]


@pytest.mark.parametrize("occurred_at", ["2000-01-01T06:00:00+06:00", "2100-12-31T23:59:59Z"])
def test_api_accepts_the_edges_and_leaves_the_window_to_the_pipeline(world, as_user, occurred_at, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.observer).post(REPORTS, report_payload(world, occurred_at=occurred_at), format="json")
    assert response.status_code == 201, response.content
    report = IncidentReport.objects.get()
    assert report.state == "rejected"  # outside the observation window, or in the future: the pipeline's call
    assert {r["code"] for r in report.rejection_reasons} & {"outside_observation_window", "occurred_in_future"}


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59", "2101-01-01T00:00"])
def test_web_form_refuses_an_incident_time_outside_the_sane_years(world, client, occurred_at):
    client.force_login(world.observer.user)
    data = {
        "client_uuid": str(uuid.uuid4()),
        "election": world.election.code,
        "station": world.station.code,
        "category": "ballot_box_not_sealed",
        "occurred_at": occurred_at,
        "description": "No seal on box 1.",
    }
    response = client.post("/reports/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["occurred_at"] and "2000" in errors["occurred_at"][0]
    assert IncidentReport.objects.count() == 0


@pytest.mark.parametrize(
    ("taken", "offset"),
    [
        (dt.datetime(1, 1, 1, 0, 0, 0), None),  # made aware in the station's zone: UTC year 0
        (dt.datetime(1, 1, 1, 0, 0, 0), "+06:00"),
        (dt.datetime(9999, 12, 31, 23, 0, 0), "-05:00"),  # UTC year 10000
        (dt.datetime(1989, 12, 31, 23, 59, 59), None),
        (dt.datetime(2101, 1, 1, 0, 0, 0), "+06:00"),
    ],
)
def test_a_photo_whose_exif_time_is_outside_1990_to_2100_is_kept_without_that_time(world, post_report, taken, offset):
    response = post_report(
        world.observer,
        report_payload(world),
        photos=[photo_with_exif(latitude=43.2526, longitude=76.9117, taken_local=taken, offset=offset)],
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.exif_taken_at is None and attachment.exif_taken_at_local is None
    assert attachment.exif_latitude == pytest.approx(43.2526, abs=1e-4)  # the rest of the EXIF still counts
    report = IncidentReport.objects.get()
    assert report.state == "accepted"
    assert "photo_time_mismatch" not in {f.code for f in report.flags.all()}


def test_a_photo_exif_time_inside_the_range_is_still_kept(world, post_report):
    post_report(
        world.observer, report_payload(world), photos=[photo_with_exif(taken_local=dt.datetime(1990, 1, 1, 0, 0, 0), offset="+06:00")]
    )
    assert Attachment.objects.get().exif_taken_at == dt.datetime(1989, 12, 31, 18, 0, tzinfo=dt.UTC)


# --- A report already stored with such a time ------------------------------------------------


@pytest.fixture
def stored_far_future(world):
    """A report stored with an incident time of 9999-12-31T23:00Z (intake refuses such times)."""
    report = file_report(world, process=False)
    IncidentReport.objects.filter(pk=report.pk).update(occurred_at=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC))
    return report


def test_pages_and_exports_show_a_report_stored_with_an_extreme_time(world, client, stored_far_future):
    client.force_login(world.observer.user)
    page = client.get("/reports/")
    assert page.status_code == 200 and "9999-12-31" in page.content.decode()

    client.force_login(world.coordinator.user)
    report_page = client.get(f"/admin/reports/submission/{stored_far_future.pk}/change/")
    assert report_page.status_code == 200 and "9999-12-31T23:00:00Z" in report_page.content.decode()
    assert client.get("/admin/reports/submission/situation/").status_code == 200

    client.force_login(world.auditor.user)
    export = client.get("/exports/reports.csv")
    text = b"".join(export.streaming_content).decode()
    assert str(stored_far_future.pk) in text and "9999-12-31T23:00:00Z" in text and "#manifest" in text
