"""The report intake API: create, resend, conflict, refusals, bad input, scoping."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from reports.models import Attachment, IncidentReport, ReportEvent
from testkit.factories import ALMATY
from testkit.images import jpeg_bytes
from tests.conftest import HUGE, report_payload
from tests.filing import file_report

REPORTS = "/api/v1/reports/"


def test_observer_files_a_report_and_it_is_accepted_with_geotag_and_flags(world, post_report, as_user):
    response = post_report(world.observer, report_payload(world, category="ballot_stuffing"))

    assert response.status_code == 201, response.content
    assert response.json()["state"] == "received"  # saved first; the pipeline runs after commit
    body = as_user(world.observer).get(f"{REPORTS}{response.json()['id']}/").json()
    assert body["state"] == "accepted"
    assert body["station"] == "02001"
    assert body["severity"] == "critical"  # the category's default
    assert body["observer_code"] == world.observer.public_code
    geotag = body["geotag"]
    assert geotag["source"] == "device_gps"
    assert geotag["nearest_station"] == "02001"
    assert 20 < geotag["claimed_station_distance_m"] < 60
    assert geotag["region"] == "almaty"
    assert geotag["settlement"] == "Almaty"
    # The test election is of January 2021 and the report is received today: late.
    assert [f["code"] for f in body["flags"]] == ["critical_category", "late_filing"]
    assert body["triage_status"] == "escalated"
    assert body["risk_score"] > 0
    report = IncidentReport.objects.get(pk=body["id"])
    assert report.organization_id == world.observer.organization_id
    assert len(report.content_sha256) == 64 and report.chain_seq == 1


def test_resend_with_same_client_uuid_and_content_returns_the_same_report(world, post_report):
    payload = report_payload(world)
    first = post_report(world.observer, payload)
    again = post_report(world.observer, payload)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert IncidentReport.objects.count() == 1
    assert ReportEvent.objects.filter(action="submitted").count() == 1


def test_same_client_uuid_with_different_content_is_a_conflict(world, post_report):
    payload = report_payload(world)
    first = post_report(world.observer, payload)
    changed = dict(payload, description="Something else entirely.")
    response = post_report(world.observer, changed)

    assert response.status_code == 409
    assert response.json()["code"] == "client_uuid_conflict"
    assert response.json()["report"] == first.json()["id"]
    assert IncidentReport.objects.count() == 1


def test_same_client_uuid_from_another_observer_is_a_separate_report(world, post_report):
    payload = report_payload(world)
    assert post_report(world.observer, payload).status_code == 201
    assert post_report(world.observer_2, payload).status_code == 201
    assert IncidentReport.objects.count() == 2


@pytest.mark.parametrize(
    "persona, code",
    [
        ("unaccredited_observer", "not_accredited"),
        ("revoked_observer", "accreditation_revoked"),
        ("auditor", "not_an_observer"),
        ("platform_auditor", "not_an_observer"),
    ],
)
def test_observers_without_an_active_accreditation_are_refused_with_a_reason(world, post_report, persona, code):
    response = post_report(getattr(world, persona), report_payload(world))

    assert response.status_code == 403
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert IncidentReport.objects.count() == 0


def test_anonymous_cannot_file(world, api_client):
    response = api_client.post(REPORTS, report_payload(world), format="json")
    assert response.status_code == 401
    assert IncidentReport.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"election": "no-such-election"}, "election"),
        ({"station": "99999"}, "station"),
        ({"category": "alien_invasion"}, "category"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2021-01-10T09:30:00"}, "occurred_at"),  # no offset: ambiguous
        ({"latitude": 91}, "latitude"),
        ({"longitude": "east"}, "longitude"),
        ({"longitude": None}, "longitude"),  # latitude without longitude
        ({"accuracy_m": -5}, "accuracy_m"),
        ({"accuracy_m": 50_000.1}, "accuracy_m"),  # no phone fix is that vague; it would only buy off-site slack
        ({"accuracy_m": 999_999}, "accuracy_m"),
        ({"description": "x" * 5001}, "description"),
        ({"description": "nul\x00byte"}, "description"),
        ({"client_uuid": None}, "client_uuid"),
        ({"amends": str(uuid.uuid4())}, "amends"),
    ],
)
def test_bad_input_gets_400_with_the_field_named(world, post_report, overrides, field):
    response = post_report(world.observer, report_payload(world, **overrides))

    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert IncidentReport.objects.count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2, 3]", b'"just a string"', b"null", b"\xff\xfe"])
def test_malformed_json_is_a_400_not_a_500(world, as_user, body):
    response = as_user(world.observer).generic("POST", REPORTS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


def test_oversized_json_body_is_refused_with_413(world, as_user):
    body = b'{"description": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = as_user(world.observer).generic("POST", REPORTS, body, content_type="application/json")
    assert response.status_code == 413


def test_multipart_report_with_photos_keeps_hashes_and_strips_exif(world, post_report):
    import hashlib
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not survive
    original = jpeg_bytes(exif=exif.tobytes())
    response = post_report(world.observer, report_payload(world), photos=[original, jpeg_bytes(colour=(1, 2, 3))])

    assert response.status_code == 201, response.content
    photos = response.json()["photos"]
    assert len(photos) == 2
    assert photos[0]["sha256"] == hashlib.sha256(original).hexdigest()
    stored = Attachment.objects.get(pk=photos[0]["id"])
    with stored.file.open("rb") as fh:
        data = fh.read()
    assert b"PhoneMaker" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_a_new_report_is_answered_from_what_intake_saved_without_reading_it_back(world, as_user, django_capture_on_commit_callbacks):
    import io

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    payload = report_payload(world)
    payload["photos"] = [io.BytesIO(jpeg_bytes())]
    payload["photos"][0].name = "a.jpg"
    client = as_user(world.observer)
    with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as queries:
        response = client.post(REPORTS, payload, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["flags"] == [] and [p["id"] for p in body["photos"]] == [str(a.pk) for a in Attachment.objects.all()]
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if '"reports_flag"' in sql or 'FROM "reports_attachment"' in sql]


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(1)</script></html>", b"\xff\xd8\xff\xe0 truncated jpeg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'],
)
def test_non_images_are_refused_and_nothing_is_stored(world, post_report, content):
    response = post_report(world.observer, report_payload(world), photos=[content])

    assert response.status_code == 400
    assert "photos" in response.json()
    assert IncidentReport.objects.count() == 0 and Attachment.objects.count() == 0


def test_observers_list_only_their_own_reports_and_coordinators_their_organizations(world, post_report, as_user):
    mine = post_report(world.observer, report_payload(world)).json()["id"]
    colleague = post_report(world.observer_2, report_payload(world)).json()["id"]
    other = post_report(world.other_observer, report_payload(world)).json()["id"]

    def ids(who):
        return {r["id"] for r in as_user(who).get(REPORTS).json()["results"]}

    assert ids(world.observer) == {mine}
    assert ids(world.coordinator) == {mine, colleague}
    assert ids(world.auditor) == {mine, colleague}
    assert ids(world.other_coordinator) == {other}
    assert ids(world.platform_auditor) == {mine, colleague, other}
    assert ids(world.superuser) == {mine, colleague, other}


def test_another_organizations_report_is_a_404(world, post_report, as_user):
    other = post_report(world.other_observer, report_payload(world)).json()["id"]
    assert as_user(world.coordinator).get(f"{REPORTS}{other}/").status_code == 404
    assert as_user(world.observer).get(f"{REPORTS}{other}/").status_code == 404
    assert as_user(world.other_coordinator).get(f"{REPORTS}{other}/").status_code == 200


def test_report_detail_lists_rejection_reasons_in_the_readers_language(world, post_report, as_user):
    # Filed while accredited, but the incident time is before the accreditation's validity.
    world.accreditation.valid_from = world.accreditation.valid_from.replace(year=2021, month=1, day=10, hour=12)
    world.accreditation.save()
    report_id = post_report(world.observer, report_payload(world)).json()["id"]

    body = as_user(world.observer).get(f"{REPORTS}{report_id}/").json()
    assert body["state"] == "rejected"
    assert body["rejection_reasons"][0]["code"] == "accreditation_revoked"
    assert "accreditation" in body["rejection_reasons"][0]["message"]


def test_list_query_count_does_not_grow_with_reports(world, post_report, as_user, django_assert_max_num_queries):
    for _ in range(3):
        post_report(world.observer, report_payload(world))
    client = as_user(world.observer)
    with django_assert_max_num_queries(8):
        assert len(client.get(REPORTS).json()["results"]) == 3
    for _ in range(7):
        post_report(world.observer, report_payload(world))
    with django_assert_max_num_queries(8):
        assert len(client.get(REPORTS).json()["results"]) == 10


def test_photo_door_serves_only_to_people_who_may_see_the_report(world, post_report, client):
    photo_id = post_report(world.observer, report_payload(world), photos=[jpeg_bytes()]).json()["photos"][0]["id"]
    url = reverse("web:photo", args=[photo_id])

    client.force_login(world.coordinator.user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(world.other_coordinator.user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", [f"?limit={HUGE}", "?limit=9223372036854775808", f"?limit=1000&offset={HUGE}", "?limit=²"])
def test_lists_cap_the_page_size(world, as_user, query):
    file_report(world)
    response = as_user(world.observer).get(f"{REPORTS}{query}")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 200


def test_sql_in_filters_and_search_is_just_text(world, as_user, post_report):
    post_report(world.observer, report_payload(world, description="'; DROP TABLE reports_submission; --"))
    api = as_user(world.observer)
    for query in ("?station=' OR '1'='1", "?category=1;DROP TABLE x", "?election=%27%20OR%201=1--", "?state=accepted' --"):
        response = api.get(REPORTS + query)
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["count"] == 0
    stations = api.get("/api/v1/stations/", {"election": world.election.code, "q": "%' OR 1=1 --"})
    assert stations.status_code == 200 and stations.json()["count"] == 0
    assert IncidentReport.objects.get().description == "'; DROP TABLE reports_submission; --"


def test_observers_learn_of_duplicates_without_their_timing_or_similarity(world, post_report, as_user):
    """Security review #12.3: an observer refined a guess of another report's
    text against the similarity shown. The observer is told how many similar
    reports there are; the coordinator of the organization sees the figures;
    another organization's identical report counts for neither."""
    mine = post_report(world.observer, report_payload(world, description="A man put a stack of ballots into box 2.")).json()
    post_report(world.other_observer, report_payload(world, description="A man put a stack of ballots into box 2."))
    assert not [f for f in as_user(world.observer).get(f"{REPORTS}{mine['id']}/").json()["flags"] if f["code"] == "duplicate"]

    later = dt.datetime(2021, 1, 10, 9, 36, tzinfo=ALMATY).isoformat()
    post_report(world.observer_2, report_payload(world, description="Man stuffed a pack of ballots into ballot box 2", occurred_at=later))

    seen_by_observer = as_user(world.observer).get(f"{REPORTS}{mine['id']}/").json()["flags"]
    duplicate = next(f for f in seen_by_observer if f["code"] == "duplicate")
    assert duplicate["explanation"] == "Other reports describe a similar incident at station 02001. A coordinator will compare them."
    seen_by_coordinator = as_user(world.coordinator).get(f"{REPORTS}{mine['id']}/").json()["flags"]
    figures = next(f for f in seen_by_coordinator if f["code"] == "duplicate")["explanation"]
    assert "closest 6 min apart, text similarity" in figures and "other organizations" not in figures
