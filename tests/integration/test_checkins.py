"""Check-ins on real components: over HTTP (gunicorn) into PostgreSQL, through
Redis to a real Celery worker. Idempotent and refused exactly like reports;
the worker geotags them, flags `off_site` with a report's threshold and
accuracy credit, and counts a report and a check-in of one observer together
for `impossible_travel`."""

import datetime as dt
import uuid
import zoneinfo

import pytest

from monitoring.models import Accreditation, Election
from monitoring.services import accreditation_set_status
from reports.models import CheckIn, IncidentReport, Submission
from testkit.http import get, post_json
from testkit.processes import gunicorn, wait_for
from tests.conftest import CHECKINS, REPORTS, checkin_payload, report_payload
from tests.integration.submissions import flags, processed, tokens

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


def test_a_check_in_is_idempotent_and_refused_like_a_report(world, celery_worker, tmp_path):
    token = tokens(world, "observer", "revoked_observer", "unaccredited_observer", "auditor")
    with gunicorn(tmp_path / "gunicorn.log") as base:
        payload = checkin_payload(world)
        first = post_json(base, CHECKINS, payload, token=token["observer"])
        again = post_json(base, CHECKINS, payload, token=token["observer"])
        assert (first.status, again.status) == (201, 200), first.body
        assert again.json()["id"] == first.json()["id"]
        changed = post_json(base, CHECKINS, {**payload, "kind": "left"}, token=token["observer"])
        assert changed.status == 409 and changed.json()["code"] == "client_uuid_conflict"
        assert changed.json()["submission"] == first.json()["id"]

        for who, code in [
            ("revoked_observer", "accreditation_revoked"),
            ("unaccredited_observer", "not_accredited"),
            ("auditor", "not_an_observer"),
        ]:
            refused = post_json(base, CHECKINS, checkin_payload(world), token=token[who])
            as_report = post_json(base, REPORTS, report_payload(world), token=token[who])
            assert (refused.status, refused.json()["code"]) == (as_report.status, as_report.json()["code"]) == (403, code)

        accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.SUSPENDED, reason="integration test")
        suspended = post_json(base, CHECKINS, checkin_payload(world), token=token["observer"])
        assert (suspended.status, suspended.json()["code"]) == (403, "accreditation_revoked")
        # A resend of what was received before is still answered, and the same.
        assert post_json(base, CHECKINS, payload, token=token["observer"]).status == 200

        accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.ACTIVE, reason="integration test")
        Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)
        closed = post_json(base, CHECKINS, checkin_payload(world), token=token["observer"])
        assert (closed.status, closed.json()["code"]) == (403, "election_closed")

    checkin = processed(first.json()["id"])[first.json()["id"]]
    assert checkin.state == "accepted" and checkin.location_source == "device_gps" and flags(checkin.pk) == {}
    assert CheckIn.objects.count() == 1 and IncidentReport.objects.count() == 0


def test_the_worker_flags_an_off_site_check_in_like_a_report(world, celery_worker, tmp_path):
    token = tokens(world, "observer", "coordinator")
    away = {"latitude": 43.2680, "longitude": 76.9300, "accuracy_m": 30.0}  # 2.2 km from station 02001
    with gunicorn(tmp_path / "gunicorn.log") as base:
        checkin = post_json(base, CHECKINS, checkin_payload(world, **away), token=token["observer"]).json()["id"]
        report = post_json(base, REPORTS, report_payload(world, **away), token=token["observer"]).json()["id"]
        processed(checkin, report)
        listed = get(base, f"{CHECKINS}?election={world.election.code}", token=token["coordinator"]).json()["results"]

    mine, theirs = flags(checkin)["off_site"], flags(report)["off_site"]
    assert mine.params == theirs.params and mine.params["threshold_m"] == 500 and mine.params["accuracy_m"] == 30
    assert mine.explanation == theirs.explanation
    [row] = listed
    assert row["id"] == checkin and [f["code"] for f in row["flags"]] == ["off_site"]
    assert row["geotag"]["nearest_station"] == world.station.code
    assert Submission.objects.get(pk=checkin).risk_score == 30  # flagged: in the triage queue


def test_impossible_travel_counts_the_observers_check_ins_and_reports_together(world, celery_worker, tmp_path):
    token = tokens(world, "observer")
    arrived_at = dt.datetime(2021, 1, 10, 10, 5, tzinfo=ALMATY)
    with gunicorn(tmp_path / "gunicorn.log") as base:
        checkin = post_json(base, CHECKINS, checkin_payload(world, occurred_at=arrived_at.isoformat()), token=token["observer"]).json()[
            "id"
        ]
        processed(checkin)
        far = report_payload(
            world,
            client_uuid=str(uuid.uuid4()),
            station=world.station_far.code,
            occurred_at=(arrived_at + dt.timedelta(minutes=35)).isoformat(),
            latitude=51.1801,
            longitude=71.4460,
            accuracy_m=15.0,
        )
        report = post_json(base, REPORTS, far, token=token["observer"]).json()["id"]
        processed(report)

    travel = flags(report)["impossible_travel"]
    assert travel.params["related_reports"] == [checkin]
    assert travel.explanation.startswith("The same observer reported from station 02001, 972.7 km away, 35 min apart")
    # Recomputed on the neighbour: the check-in, processed first, carries the flag too.
    wait_for(lambda: "impossible_travel" in flags(checkin), timeout=30, message="the check-in's flag")
    assert flags(checkin)["impossible_travel"].params["related_reports"] == [report]
