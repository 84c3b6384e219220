"""Coverage on real components: check-ins and reports filed over HTTP
(gunicorn) into PostgreSQL, processed by a real Celery worker, then the
coverage API read at given clock times (`at`), never by patching a clock. What
the worker rejects does not count; another organization's observers are never
counted; observers are refused."""

import datetime as dt
import urllib.parse
import zoneinfo

import pytest

from monitoring.models import Deployment
from reports.models import Submission
from roster.tokens import token_issue
from testkit.factories import DeploymentFactory
from testkit.http import get, post_json
from testkit.processes import gunicorn, wait_for
from tests.conftest import CHECKINS, REPORTS, checkin_payload, report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
DONE = ("accepted", "rejected", "failed")
# The world's election is observed from 10 December 2020.
BEFORE_THE_WINDOW = dt.datetime(2020, 12, 1, 7, 0, tzinfo=ALMATY)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 1, 10, hour, minute, tzinfo=ALMATY)


def coverage(base: str, token: str, election: str, moment: dt.datetime):
    query = urllib.parse.urlencode({"election": election, "at": moment.isoformat()})
    return get(base, f"/api/v1/coverage/?{query}", token=token)


def test_coverage_states_at_given_clock_times_from_what_the_worker_processed(world, celery_worker, tmp_path):
    Deployment.objects.filter(observer=world.observer).update(shift_start=dt.time(7), shift_end=dt.time(14))
    shift = {"election": world.election, "shift_start": dt.time(7), "shift_end": dt.time(14)}
    DeploymentFactory(observer=world.observer_2, station=world.station_far, **shift)
    DeploymentFactory(observer=world.other_observer, station=world.station, **shift)
    token = {
        name: token_issue(user=getattr(world, name).user)[1]
        for name in ("observer", "observer_2", "other_observer", "coordinator", "other_coordinator")
    }
    far = {"station": world.station_far.code, "latitude": 51.1803, "longitude": 71.4462, "accuracy_m": 10.0}

    with gunicorn(tmp_path / "gunicorn.log") as base:
        filed = [
            post_json(base, CHECKINS, checkin_payload(world, occurred_at=at(6, 55).isoformat()), token=token["observer"]),
            post_json(base, CHECKINS, checkin_payload(world, kind="all_quiet", occurred_at=at(8).isoformat()), token=token["observer"]),
            post_json(base, REPORTS, report_payload(world, occurred_at=at(8, 40).isoformat()), token=token["observer"]),
            # Before the observation window: the worker rejects it, so it is no arrival.
            post_json(base, CHECKINS, checkin_payload(world, **far, occurred_at=BEFORE_THE_WINDOW.isoformat()), token=token["observer_2"]),
            post_json(base, CHECKINS, checkin_payload(world, **far, occurred_at=at(9, 10).isoformat()), token=token["observer_2"]),
            # The other organization's observer at the same station: never in this organization's figures.
            post_json(base, CHECKINS, checkin_payload(world, occurred_at=at(6, 40).isoformat()), token=token["other_observer"]),
        ]
        assert [a.status for a in filed] == [201] * 6, [a.body for a in filed]
        ids = [a.json()["id"] for a in filed]
        wait_for(lambda: Submission.objects.filter(pk__in=ids, state__in=DONE).count() == len(ids), timeout=60, message="the worker")
        assert Submission.objects.get(pk=ids[3]).state == "rejected"

        answers = {
            moment: coverage(base, token["coordinator"], world.election.code, moment)
            for moment in (at(7, 10), at(8, 10), at(10, 15), at(14, 30))
        }
        other = coverage(base, token["other_coordinator"], world.election.code, at(8, 10))
        refused = coverage(base, token["observer"], world.election.code, at(8, 10))

    assert all(a.status == 200 for a in answers.values()), [a.body for a in answers.values()]
    mine, theirs = world.observer.public_code, world.observer_2.public_code

    def states(answer) -> dict:
        return {o["public_code"]: o["state"] for o in answer.json()["observers"]}

    early, morning, late = (answers[m].json() for m in (at(7, 10), at(8, 10), at(10, 15)))
    assert states(answers[at(7, 10)]) == {mine: "arrived", theirs: "planned"}
    assert early["totals"] == {"planned": 2, "arrived": 1, "reporting": 0, "silent": 0, "missing": 0}
    assert states(answers[at(8, 10)]) == {mine: "reporting", theirs: "missing"}
    assert morning["totals"] == {"planned": 2, "arrived": 1, "reporting": 1, "silent": 0, "missing": 1}
    assert states(answers[at(10, 15)]) == {mine: "silent", theirs: "arrived"}  # nothing since the report at 08:40
    assert late["totals"] == {"planned": 2, "arrived": 2, "reporting": 0, "silent": 1, "missing": 0}
    assert [r["code"] for r in late["regions"]] == ["almaty", "nur-sultan"]
    row = next(o for o in late["observers"] if o["public_code"] == mine)
    assert row["since"] == "2021-01-10T02:40:00Z" and row["last_seen_at"] == "2021-01-10T02:40:00Z" and row["last_station"] == "02001"
    assert row["last_distance_m"] < 100
    # After the shift nobody is watched for silence any more.
    assert states(answers[at(14, 30)]) == {mine: "reporting", theirs: "arrived"}
    assert answers[at(14, 30)].json()["totals"] == {"planned": 2, "arrived": 2, "reporting": 1, "silent": 0, "missing": 0}

    assert other.status == 200 and states(other) == {world.other_observer.public_code: "arrived"}
    assert other.json()["totals"] == {"planned": 1, "arrived": 1, "reporting": 0, "silent": 0, "missing": 0}
    assert (refused.status, refused.json()["code"]) == (403, "coverage_forbidden")
