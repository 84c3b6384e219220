"""The observer web app's checklist pages without JavaScript: the list offers
the phase the station's hour calls for, each form renders its questions by
type, and a plain multipart POST files the checklist through the API's checks."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from checklists.models import FiledAnswers
from checklists.web import phase_at
from reports.models import Checklist
from testkit.images import jpeg_bytes

from .filing import PROTOCOL_FIGURES, forms_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def observer_client(world, client):
    forms_load(world.election)
    client.force_login(world.observer.user)
    return client


@pytest.mark.parametrize(
    ("hour", "phase"), [(0, "opening"), (7, "opening"), (8, "voting"), (19, "voting"), (20, "closing"), (21, "counting"), (23, "counting")]
)
def test_the_phase_follows_the_station_hour(hour, phase):
    assert phase_at(hour) == phase


def test_the_list_marks_the_form_of_the_station_local_time(world, observer_client):
    page = observer_client.get("/checklists/").content.decode()
    expected = phase_at(dt.datetime.now(ZoneInfo(world.station.district.region.timezone)).hour)
    assert 'href="/checklists/counting/"' in page and 'href="/checklists/opening/"' in page
    suggested = page.split('class="form-item suggested" data-phase="')[1].split('"')[0]
    assert suggested == expected
    assert page.count("form-item suggested") == 1


def test_a_form_renders_each_question_by_its_type(observer_client):
    page = observer_client.get("/checklists/counting/").content.decode()
    assert 'type="radio" name="answer-ballots_shown" id="q-ballots_shown-yes" value="yes"' in page
    assert 'name="answer-registered_voters" id="q-registered_voters" inputmode="numeric" min="1" max="10000" step="1"' in page
    assert 'name="answer-assessment" id="q-assessment-very_bad"' in page
    assert '<textarea name="answer-comments"' in page
    assert 'type="file" name="answer-protocol_photo"' in page


def test_a_plain_post_files_the_counting_protocol_with_its_photo(world, observer_client, django_capture_on_commit_callbacks):
    answers = {f"answer-{k}": str(v) for k, v in PROTOCOL_FIGURES.items()}
    for code in ("observers_admitted", "ballots_shown", "validity_consistent", "protocol_signed", "copy_given", "protocol_posted"):
        answers[f"answer-{code}"] = "yes"
    for code in ("unauthorized_present", "unauthorized_interfering", "figures_changed", "protocol_presigned"):
        answers[f"answer-{code}"] = "no"
    answers["answer-assessment"] = "good"
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("protocol.jpg", jpeg_bytes(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = observer_client.post(
            "/checklists/counting/", {**answers, "station": world.station.code, "answer-protocol_photo": photo}
        )
    assert response.status_code == 302 and response["Location"] == "/checklists/"
    filed = FiledAnswers.objects.get()
    assert filed.answers["ballots_cast"] == 618 and filed.answers["protocol_photo"] == "protocol.jpg"
    assert filed.answers["ballots_shown"] is True
    assert Checklist.objects.get().attachments.count() == 1


def test_a_plain_post_out_of_bounds_shows_the_question_error(world, observer_client):
    response = observer_client.post("/checklists/counting/", {"station": world.station.code, "answer-registered_voters": "0"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="q-registered_voters-error">Must be at least 1.' in page
    assert "This question is required." in page
    assert not FiledAnswers.objects.exists()
