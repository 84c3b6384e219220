"""Check-ins through the pipeline (embedded SQLite): the same stages as a
report, the location rules and `not_deployed` with a report's thresholds,
`impossible_travel` across reports and check-ins, and none of the incident
rules. A check-in reaches the triage queue only with a flag."""

import datetime as dt

import pytest

from monitoring.models import Deployment
from reports import rules
from reports.models import CheckIn, Flag
from reports.services.pipeline import report_process, report_reprocess
from reports.services.triage import flag_decide
from testkit.factories import make_observer
from tests import filing
from tests.unit.reports.pipeline.conftest import at

# 2.2 km north-east of station 02001: off site for the 500 m threshold plus a 30 m fix.
AWAY = (43.2680, 76.9300, 30.0)


@pytest.fixture
def check_in(world):
    def file(observer=None, **kwargs) -> CheckIn:
        kwargs.setdefault("received_after", dt.timedelta(minutes=1))
        return filing.file_checkin(world, observer=observer, **kwargs)

    return file


def flags_of(submission) -> dict:
    return {f.code: f for f in Flag.objects.filter(report_id=submission.pk)}


def test_a_check_in_at_the_station_is_accepted_geotagged_and_unflagged(world, check_in):
    checkin = check_in()
    assert checkin.state == "accepted" and checkin.location_source == "device_gps"
    assert checkin.nearest_station == world.station and checkin.claimed_station_distance_m < 50
    assert flags_of(checkin) == {} and checkin.risk_score == 0


def test_off_site_with_the_same_threshold_and_accuracy_credit_as_a_report(world, check_in):
    checkin = check_in(gps=AWAY)
    report = filing.file_report(world, gps=AWAY, received_after=dt.timedelta(minutes=1))
    mine, theirs = flags_of(checkin)["off_site"], flags_of(report)["off_site"]
    assert mine.params == theirs.params and mine.explanation == theirs.explanation
    assert mine.params["threshold_m"] == 500 and mine.params["accuracy_m"] == 30
    # A fix that vague is credited only up to the low-accuracy threshold, as for a report.
    vague = check_in(gps=(51.1605, 71.4704, 50_000.0))
    assert flags_of(vague)["off_site"].params["accuracy_m"] == 250
    assert {"off_site", "low_gps_accuracy", "region_mismatch"} <= set(flags_of(vague))
    # High severity: in the queue, on its flags alone.
    checkin.refresh_from_db()
    assert checkin.risk_score == 30


def test_no_location_and_not_deployed(world, check_in):
    Deployment.objects.filter(observer=world.observer).delete()
    checkin = check_in(gps=None)
    assert set(flags_of(checkin)) == {"no_location", "not_deployed"}


def test_incident_rules_never_apply_to_a_check_in(world, check_in):
    # Before the polls open, received two days later, five observers at one station
    # within minutes: an incident report would be late, outside polling hours and a hot spot.
    observers = [world.observer] + [make_observer(world.observer.organization, "observer", f"walker-{i}") for i in range(5)]
    for observer in observers[1:]:
        Deployment.objects.create(observer=observer, election=world.election, station=world.station)
    checkins = [check_in(o, occurred_at=at(6, 30 + i), received_after=dt.timedelta(days=2)) for i, o in enumerate(observers)]
    for checkin in checkins:
        report_process(report_id=checkin.pk)
        assert flags_of(checkin) == {}


def test_impossible_travel_counts_a_report_and_a_check_in_together(world, check_in):
    arrived = check_in(occurred_at=at(10, 5))
    report = filing.file_report(world, station=world.station_far, occurred_at=at(10, 40), gps=(51.1801, 71.4460, 15.0))
    travel = flags_of(report)["impossible_travel"]
    assert travel.params["related_reports"] == [str(arrived.pk)]
    assert travel.explanation.startswith("The same observer reported from station 02001, 972.7 km away, 35 min apart")
    # Symmetric: the check-in processed first gets the flag when the report arrives.
    assert flags_of(arrived)["impossible_travel"].params["related_reports"] == [str(report.pk)]
    arrived.refresh_from_db()
    assert arrived.risk_score == 30  # high: now in the triage queue


def test_two_check_ins_alone_can_be_impossible_travel(world, check_in):
    here = check_in(occurred_at=at(10, 5))
    there = check_in(station=world.station_far, occurred_at=at(10, 20), gps=(51.1801, 71.4460, 15.0), kind="all_quiet")
    assert "impossible_travel" in flags_of(here) and "impossible_travel" in flags_of(there)


def test_a_check_in_counts_neither_in_a_hot_spot_nor_as_a_duplicate(world, check_in):
    observers = [world.observer] + [make_observer(world.observer.organization, "observer", f"hot-{i}") for i in range(3)]
    # The first observer's check-ins are in the pipeline's view of their reports
    # (everything the observer sent); four reports need a fifth for a hot spot
    # at the station, and check-ins are no such fifth.
    for minute in (12, 22, 33):
        check_in(occurred_at=at(10, minute), kind="all_quiet")
    categories = ["carousel_voting", "group_voting", "voting_without_id", "video_camera_off"]
    # The first observer's report last, so that its run sees everything.
    reports = [
        filing.file_report(world, observer=o, category=c, description=f"story {i}", occurred_at=at(10, 10 * i))
        for i, (o, c) in reversed(list(enumerate(zip(observers, categories, strict=True))))
    ]
    assert all("hotspot" not in flags_of(r) and "duplicate" not in flags_of(r) for r in reports)
    reports.append(filing.file_report(world, observer=observers[1], category="other", description="story 5", occurred_at=at(10, 40)))
    assert {flags_of(r)["hotspot"].params["count"] for r in reports} == {5}


def test_a_cleared_flag_takes_the_check_in_out_of_the_queue(world, check_in, admin_as):
    flagged = check_in(gps=AWAY)
    quiet = check_in(kind="all_quiet", occurred_at=at(9, 0))
    queue = admin_as(world.coordinator).get("/admin/reports/submission/").content.decode()
    assert f"/{flagged.pk}/change/" in queue and f"/{quiet.pk}/change/" not in queue
    only_checkins = admin_as(world.coordinator).get("/admin/reports/submission/?kind=checkin").content.decode()
    assert f"/{flagged.pk}/change/" in only_checkins

    flag_decide(
        flag_id=flags_of(flagged)["off_site"].pk, actor=world.coordinator.user, decision="clear", note="the school has two buildings"
    )
    flagged.refresh_from_db()
    assert flagged.risk_score == 0
    assert f"/{flagged.pk}/change/" not in admin_as(world.coordinator).get("/admin/reports/submission/").content.decode()
    # Its page still opens, and the pipeline can be re-run on it, the decision kept.
    page = admin_as(world.coordinator).get(f"/admin/reports/submission/{flagged.pk}/change/").content.decode()
    assert "check-in: arrived" in page and "the school has two buildings" in page
    report_reprocess(report_id=flagged.pk, actor=world.coordinator.user)
    assert flags_of(flagged)["off_site"].state == "cleared"


def test_the_rule_sets_by_kind():
    names = {kind: [r.__name__ for r in rs] for kind, rs in rules.SINGLE_RULES_BY_KIND.items()}
    assert names["checkin"] == ["off_site", "low_gps_accuracy", "no_location", "region_mismatch", "not_deployed"]
    assert set(names["incident"]) == {r.__name__ for r in rules.SINGLE_REPORT_RULES}
    assert names["checklist"] == [*names["checkin"], "checklist_critical", "results_arithmetic", "turnout_over_100", "results_conflict"]
    assert rules.CROSS_CODES_BY_KIND == {
        "incident": ("impossible_travel", "duplicate", "hotspot"),
        "checkin": ("impossible_travel",),
        "checklist": ("impossible_travel",),
    }
