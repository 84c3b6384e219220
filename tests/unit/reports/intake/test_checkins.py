"""Check-ins through the API and the web form's no-JavaScript door: idempotent
and refused exactly like reports (the same submit function), listed and
scoped like reports."""

import uuid

import pytest

from monitoring.models import Accreditation, Election
from monitoring.services import accreditation_set_status
from reports.models import CheckIn, ReportEvent, Submission
from tests.conftest import CHECKINS, checkin_payload, report_payload


@pytest.fixture
def post_checkin(as_user, django_capture_on_commit_callbacks):
    def post(who, payload: dict, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return as_user(who).post(CHECKINS, payload, format="json", **extra)

    return post


def test_a_check_in_is_received_then_processed(world, post_checkin):
    response = post_checkin(world.observer, checkin_payload(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["station"], body["state"], body["flags"]) == ("arrived", "02001", "received", [])
    checkin = CheckIn.objects.get(pk=body["id"])
    assert (checkin.kind, checkin.checkin_kind, checkin.source) == ("checkin", "arrived", "api")
    assert checkin.category is None and checkin.severity is None and checkin.description == ""
    assert list(ReportEvent.objects.filter(report=checkin).values_list("action", flat=True)) == ["submitted", "processed"]
    assert checkin.state == "accepted" and checkin.location_source == "device_gps"
    # Accepted, flagged with nothing: no risk, so not in the triage queue.
    assert checkin.risk_score == 0


def test_the_same_check_in_again_is_the_same_one_and_other_content_is_a_conflict(world, post_checkin):
    payload = checkin_payload(world)
    first = post_checkin(world.observer, payload)
    again = post_checkin(world.observer, payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["state"] == "accepted"

    changed = post_checkin(world.observer, {**payload, "kind": "all_quiet"})
    assert changed.status_code == 409
    assert changed.json() == {
        "code": "client_uuid_conflict",
        "detail": "This check-in was already sent with different content (same client_uuid).",
        "submission": first.json()["id"],
    }
    assert CheckIn.objects.count() == 1


def test_a_client_uuid_used_for_a_report_is_a_conflict_for_a_check_in(world, post_checkin, post_report):
    key = str(uuid.uuid4())
    report = post_report(world.observer, report_payload(world, client_uuid=key))
    clash = post_checkin(world.observer, checkin_payload(world, client_uuid=key))
    assert clash.status_code == 409 and clash.json()["submission"] == report.json()["id"]
    assert Submission.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("revoked_observer", "accreditation_revoked"),
        ("unaccredited_observer", "not_accredited"),
        ("auditor", "not_an_observer"),
    ],
)
def test_check_ins_are_refused_with_the_reports_codes(world, post_checkin, post_report, who, code):
    checkin = post_checkin(getattr(world, who), checkin_payload(world))
    report = post_report(getattr(world, who), report_payload(world))
    assert (checkin.status_code, checkin.json()["code"]) == (report.status_code, report.json()["code"]) == (403, code)
    assert checkin.json()["detail"] == report.json()["detail"]
    assert Submission.objects.count() == 0


def test_a_suspended_organization_and_a_closed_election_are_refused(world, post_checkin):
    accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.SUSPENDED, reason="test")
    suspended = post_checkin(world.observer, checkin_payload(world))
    assert (suspended.status_code, suspended.json()["code"]) == (403, "accreditation_revoked")
    assert "suspended" in suspended.json()["detail"]

    accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.ACTIVE, reason="test")
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)
    closed = post_checkin(world.observer, checkin_payload(world))
    assert (closed.status_code, closed.json()["code"]) == (403, "election_closed")
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "asleep"}, "kind"),
        ({"kind": None}, "kind"),
        ({"station": "99999"}, "station"),
        ({"election": "no-such-election"}, "election"),
        ({"longitude": None}, "longitude"),
        ({"latitude": None, "longitude": None}, "accuracy_m"),
        ({"occurred_at": "2021-01-10T07:05:00"}, "occurred_at"),  # no offset
        ({"occurred_at": "1999-12-31T23:00:00Z"}, "occurred_at"),
        ({"accuracy_m": 50_001}, "accuracy_m"),
    ],
)
def test_bad_input_is_a_400_with_the_field_named(world, post_checkin, changes, field):
    response = post_checkin(world.observer, checkin_payload(world, **changes))
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert CheckIn.objects.count() == 0


def test_the_list_is_filtered_by_election_and_kind(world, post_checkin, as_user):
    post_checkin(world.observer, checkin_payload(world))
    post_checkin(world.observer, checkin_payload(world, kind="all_quiet", occurred_at="2021-01-10T09:00:00+06:00"))
    client = as_user(world.coordinator)
    listed = client.get(f"{CHECKINS}?election={world.election.code}").json()
    assert [c["kind"] for c in listed["results"]] == ["all_quiet", "arrived"]  # newest first
    assert [c["kind"] for c in client.get(f"{CHECKINS}?election={world.election.code}&kind=arrived").json()["results"]] == ["arrived"]
    assert client.get(f"{CHECKINS}?election=kz-other").json()["results"] == []
    # Reports are not check-ins, and check-ins are not reports.
    assert client.get("/api/v1/reports/").json()["results"] == []


def test_the_list_of_check_ins_costs_the_same_queries_for_one_or_many(world, post_checkin, as_user, django_assert_max_num_queries):
    for minute in range(6):
        post_checkin(world.observer, checkin_payload(world, occurred_at=f"2021-01-10T07:{10 + minute}:00+06:00", kind="all_quiet"))
    client = as_user(world.coordinator)
    with django_assert_max_num_queries(3):
        assert len(client.get(f"{CHECKINS}?election={world.election.code}").json()["results"]) == 6


# --- The web form (no JavaScript) --------------------------------------------------------------


def _web_checkin(client, world, **changes):
    form = {
        "client_uuid": str(uuid.uuid4()),
        "election": world.election.code,
        "station": world.station.code,
        "occurred_at": "2021-01-10T01:05:00+00:00",
        "kind": "arrived",
    }
    return client.post("/checkins/", {**form, **changes})


def test_the_buttons_without_javascript_check_in_once_however_often_pressed(world, client):
    client.force_login(world.observer.user)
    key = str(uuid.uuid4())
    first = _web_checkin(client, world, client_uuid=key)
    again = _web_checkin(client, world, client_uuid=key)
    assert first.status_code == again.status_code == 302 and first["Location"] == "/reports/new/"
    [checkin] = CheckIn.objects.all()
    assert (checkin.checkin_kind, checkin.source, checkin.latitude) == ("arrived", "web", None)
    page = client.get("/reports/new/").content.decode()
    assert "Check-in received: arrived." in page


def test_the_buttons_without_javascript_say_why_a_check_in_was_refused(world, client):
    client.force_login(world.revoked_observer.user)
    response = _web_checkin(client, world)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "accreditation for this election was revoked" in page
    assert CheckIn.objects.count() == 0
