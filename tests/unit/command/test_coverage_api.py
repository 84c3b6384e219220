"""GET /api/v1/coverage/: the issue's JSON shape, the clock time as `at`,
scoped to the organization, refused to observers."""

import datetime as dt

import pytest

from testkit.factories import ALMATY, CheckInFactory, DeploymentFactory

pytestmark = pytest.mark.django_db
COVERAGE = "/api/v1/coverage/"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 1, 10, hour, minute, tzinfo=ALMATY)


@pytest.fixture
def plan(world):
    world.observer.deployments.update(shift_start=dt.time(7), shift_end=dt.time(14))
    DeploymentFactory(
        observer=world.observer_2, election=world.election, station=world.station_far, shift_start=dt.time(7), shift_end=dt.time(14)
    )
    DeploymentFactory(
        observer=world.other_observer, election=world.election, station=world.station_west, shift_start=dt.time(7), shift_end=dt.time(14)
    )
    CheckInFactory(election=world.election, station=world.station, submitted_by=world.observer, occurred_at=at(6, 55))
    return world


def test_the_coverage_answers_in_the_issue_shape(plan, as_user):
    response = as_user(plan.coordinator).get(COVERAGE, {"election": plan.election.code, "at": at(8).isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"as_of", "totals", "regions", "observers"}
    assert body["as_of"] == "2021-01-10T02:00:00Z"
    assert body["totals"] == {"planned": 2, "arrived": 1, "reporting": 0, "silent": 0, "missing": 1}
    assert body["regions"] == [
        {"code": "almaty", "planned": 1, "arrived": 1, "reporting": 0, "silent": 0, "missing": 0},
        {"code": "nur-sultan", "planned": 1, "arrived": 0, "reporting": 0, "silent": 0, "missing": 1},
    ]
    rows = {o["public_code"]: o for o in body["observers"]}
    assert set(rows) == {plan.observer.public_code, plan.observer_2.public_code}  # never the other organization's
    mine = rows[plan.observer.public_code]
    assert mine["state"] == "arrived" and mine["last_seen_at"] == "2021-01-10T00:55:00Z" and mine["last_station"] == "02001"
    assert 20 < mine["last_distance_m"] < 60 and mine["station"] == "02001" and mine["region"] == "almaty"
    assert mine["shift_start"] == "2021-01-10T01:00:00Z" and mine["unreachable"] is False and mine["contact_outcome"] is None
    missing = rows[plan.observer_2.public_code]
    assert missing["state"] == "missing" and missing["since"] == "2021-01-10T01:00:00Z" and missing["last_seen_at"] is None
    assert response["Cache-Control"] == "no-store"


def test_the_same_plan_at_another_clock_time(plan, as_user):
    body = as_user(plan.auditor).get(COVERAGE, {"election": plan.election.code, "at": at(9, 30).isoformat()}).json()
    assert body["totals"] == {"planned": 2, "arrived": 1, "reporting": 0, "silent": 1, "missing": 1}


@pytest.mark.parametrize("who", ["observer", "other_observer", "revoked_observer"])
def test_observers_are_refused(plan, as_user, who):
    response = as_user(getattr(plan, who)).get(COVERAGE, {"election": plan.election.code})
    assert response.status_code == 403 and response.json()["code"] == "coverage_forbidden"


def test_the_other_organization_sees_only_its_own(plan, as_user):
    body = as_user(plan.other_coordinator).get(COVERAGE, {"election": plan.election.code, "at": at(8).isoformat()}).json()
    assert [o["public_code"] for o in body["observers"]] == [plan.other_observer.public_code]
    assert body["totals"]["planned"] == 1 and body["regions"][0]["code"] == "aktobe"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "election"),
        ({"election": "nope"}, "election"),
        ({"election": "kz-test-2021", "at": "2021-01-10T08:00:00"}, "at"),
        ({"election": "kz-test-2021", "at": "soon"}, "at"),
    ],
)
def test_bad_queries_are_field_errors(plan, as_user, query, field):
    response = as_user(plan.coordinator).get(COVERAGE, query)
    assert response.status_code == 400 and field in response.json()


def test_anonymous_is_asked_to_authenticate(plan, api_client):
    assert api_client.get(COVERAGE, {"election": plan.election.code}).status_code == 401
