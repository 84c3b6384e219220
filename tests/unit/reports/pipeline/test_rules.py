"""Every irregularity rule on plain facts: when it fires, when it must not, and
that its explanation carries the numbers that triggered it."""

import dataclasses
import datetime as dt

import pytest

from reports import rules
from tests.unit.reports.pipeline.facts import AKTOBE, ALMATY, STATION_02002, STATION_02003, STATION_05001, THRESHOLDS, codes, facts, peer


def flag(f, code):
    found = [x for x in rules.evaluate(f) if x.code == code]
    return found[0] if found else None


def test_an_unremarkable_report_raises_nothing():
    assert codes(facts()) == []


def test_every_rule_has_a_text_and_a_severity():
    assert set(rules.FLAG_TEXT) == set(rules.FLAG_SEVERITY)
    every_kinds_rules = {r.__name__ for kind_rules in rules.SINGLE_RULES_BY_KIND.values() for r in kind_rules}
    assert every_kinds_rules | set(rules.CROSS_REPORT_RULES) == set(rules.FLAG_TEXT)
    assert all(code in rules.FLAG_TEXT for code, _ in rules.FLAG_VARIANT_TEXT)


# --- off_site ---


def test_off_site_beyond_threshold_plus_accuracy_with_the_numbers():
    result = flag(facts(claimed_station_distance_m=2412.0, accuracy_m=35.0), "off_site")
    assert result.severity == "high"
    assert result.explanation() == (
        "GPS fix 2.4 km (2412 m) from claimed station 02001: more than the allowed 500 m plus the fix's accuracy of 35 m."
    )


@pytest.mark.parametrize(
    "distance, accuracy, raised",
    [(535.0, 35.0, False), (535.1, 35.0, True), (750.0, 250.0, False), (750.1, 250.0, True), (750.0, 450.0, False), (750.1, 450.0, True)],
)
def test_off_site_allows_the_fix_accuracy_up_to_the_low_accuracy_threshold(distance, accuracy, raised):
    assert (flag(facts(claimed_station_distance_m=distance, accuracy_m=accuracy), "off_site") is not None) is raised


@pytest.mark.parametrize("accuracy", [20.0, 250.0, 5000.0, 999_999.0])
def test_a_claimed_accuracy_never_hides_a_fix_in_another_region(accuracy):
    """A fix 968 km from station 02001, whatever accuracy the phone claims."""
    f = facts(
        claimed_station_distance_m=968_000.0,
        accuracy_m=accuracy,
        latitude=51.1605,
        longitude=71.4704,
        gps_region_code="nur-sultan",
        gps_region_name="Nur-Sultan city",
        admin_region_code="nur-sultan",
        settlement="Astana",
    )
    assert {"off_site", "region_mismatch"} <= set(codes(f))
    assert ("low_gps_accuracy" in codes(f)) is (accuracy > THRESHOLDS.low_gps_accuracy_meters)


def test_off_site_says_how_much_of_a_poor_fix_accuracy_it_credited():
    result = flag(facts(claimed_station_distance_m=2412.0, accuracy_m=1200.0), "off_site")
    assert result.params["accuracy_m"] == 250 and result.params["claimed_accuracy_m"] == 1200
    assert result.explanation() == (
        "GPS fix 2.4 km (2412 m) from claimed station 02001: more than the allowed 500 m plus the fix's accuracy, "
        "counted as at most 250 m (the fix claims 1200 m)."
    )


def test_off_site_from_photo_gps_has_no_accuracy_allowance_and_says_so():
    result = flag(facts(location_source="photo_exif", accuracy_m=None, claimed_station_distance_m=3000.0), "off_site")
    assert result.params["variant"] == "photo_exif"
    assert "Photo GPS 3.0 km" in result.explanation()


def test_off_site_never_on_station_coordinates():
    assert flag(facts(location_source="station", claimed_station_distance_m=None, accuracy_m=None), "off_site") is None


# --- low_gps_accuracy / no_location ---


def test_low_gps_accuracy_strictly_above_threshold():
    assert flag(facts(accuracy_m=250.0), "low_gps_accuracy") is None
    result = flag(facts(accuracy_m=1200.0), "low_gps_accuracy")
    assert result.severity == "low"
    assert result.explanation() == "GPS fix accuracy is 1200 m, worse than 250 m: the location proves little."


def test_low_gps_accuracy_only_for_a_device_fix():
    assert flag(facts(location_source="photo_exif", accuracy_m=None), "low_gps_accuracy") is None


def test_no_location_when_station_coordinates_were_used():
    f = facts(location_source="station", claimed_station_distance_m=None, accuracy_m=None, gps_region_code=None)
    assert codes(f) == ["no_location"]
    assert "station coordinates used" in flag(f, "no_location").explanation()


# --- outside_polling_hours ---


def test_outside_polling_hours_in_the_stations_own_zone_of_that_date():
    # 07:30 in Almaty (UTC+6 in 2021) is 06:30 in Aktobe (UTC+5): polls not yet open there.
    aktobe = peer(timezone="Asia/Aqtobe", occurred_at=dt.datetime(2021, 1, 10, 7, 30, tzinfo=ALMATY))
    result = flag(facts(report=aktobe), "outside_polling_hours")
    assert result.params["local_time"] == "2021-01-10 06:30"
    assert result.explanation() == (
        "Voting-phase incident at 2021-01-10 06:30 station time (Asia/Aqtobe), outside polling hours 07:00–20:00 on 2021-01-10."
    )
    same_instant_in_almaty = peer(occurred_at=dt.datetime(2021, 1, 10, 7, 30, tzinfo=ALMATY))
    assert flag(facts(report=same_instant_in_almaty), "outside_polling_hours") is None


@pytest.mark.parametrize(
    "local, raised",
    [((7, 0), False), ((20, 0), False), ((6, 59), True), ((20, 1), True)],
)
def test_polling_hours_are_inclusive_at_both_ends(local, raised):
    report = peer(timezone="Asia/Aqtobe", occurred_at=dt.datetime(2021, 1, 10, *local, tzinfo=AKTOBE))
    assert (flag(facts(report=report), "outside_polling_hours") is not None) is raised


def test_outside_polling_hours_only_for_voting_phase_and_the_voting_day():
    night = peer(occurred_at=dt.datetime(2021, 1, 10, 22, 30, tzinfo=ALMATY))
    assert flag(facts(report=night, category_phase="counting"), "outside_polling_hours") is None
    day_before = peer(occurred_at=dt.datetime(2021, 1, 9, 10, 0, tzinfo=ALMATY))
    assert flag(facts(report=day_before), "outside_polling_hours") is not None


def test_polling_hours_after_kazakhstan_moved_to_one_zone():
    # Since 1 March 2024 Asia/Almaty is UTC+5: 07:30 UTC+6 is 06:30 local there too.
    report = peer(occurred_at=dt.datetime(2024, 3, 10, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=6))))
    result = flag(facts(report=report, voting_day=dt.date(2024, 3, 10)), "outside_polling_hours")
    assert result.params["local_time"] == "2024-03-10 06:30"


# --- not_deployed / critical_category / late_filing ---


def test_not_deployed():
    result = flag(facts(deployed=False), "not_deployed")
    assert result.severity == "medium"
    assert result.explanation() == "The observer is not deployed to station 02001 nor to its district Almaly."


def test_critical_category():
    result = flag(facts(category_critical=True, category_name_en="Ballot stuffing"), "critical_category")
    assert result.severity == "critical"
    assert "“Ballot stuffing” is critical" in result.explanation()


def test_late_filing_strictly_after_the_threshold():
    report = peer()
    assert flag(facts(report=report, received_at=report.occurred_at + dt.timedelta(hours=24)), "late_filing") is None
    result = flag(facts(report=report, received_at=report.occurred_at + dt.timedelta(hours=30, minutes=30)), "late_filing")
    assert result.explanation() == "Received 30.5 h after the incident, later than 24 h."


# --- region_mismatch ---


def test_region_mismatch_when_registry_and_gazetteer_agree_the_fix_is_elsewhere():
    f = facts(
        claimed_station_distance_m=24_500.0,
        gps_region_code="almaty-region",
        gps_region_name="Almaty Region",
        admin_region_code="almaty-region",
        settlement="Talgar",
    )
    result = flag(f, "region_mismatch")
    assert result.severity == "high"
    assert result.explanation() == ("GPS fix is in Almaty Region (near Talgar) but claimed station 02001 is in Almaty city, 24.5 km away.")
    assert {"off_site", "region_mismatch"} <= set(codes(f))


def test_region_mismatch_not_raised_near_a_border():
    # Nearest station across the border, but the gazetteer places the fix in the station's region.
    assert (
        flag(facts(claimed_station_distance_m=9000.0, gps_region_code="almaty-region", admin_region_code="almaty"), "region_mismatch")
        is None
    )
    # Another region but within the off-site allowance.
    assert flag(facts(claimed_station_distance_m=400.0, gps_region_code="almaty-region", admin_region_code=None), "region_mismatch") is None


# --- photos ---


def test_photo_location_mismatch_when_the_photo_is_far_from_station_and_fix():
    photo = rules.PhotoFacts(number=2, latitude=43.3544, longitude=77.2373, taken_at=None)  # Talgar area
    result = flag(facts(photos=(rules.PhotoFacts(1, 43.2526, 76.9117, None), photo)), "photo_location_mismatch")
    assert result.params["photo"] == 2
    assert result.explanation().startswith("Photo 2 was taken 28.7 km from claimed station 02001 and 28.7 km from the report's location")


def test_photo_agreeing_with_the_fix_is_left_to_off_site():
    far = rules.PhotoFacts(number=1, latitude=43.3544, longitude=77.2373, taken_at=None)
    f = facts(
        photos=(far,),
        location_source="photo_exif",
        latitude=43.3544,
        longitude=77.2373,
        accuracy_m=None,
        claimed_station_distance_m=28_600.0,
    )
    assert "photo_location_mismatch" not in codes(f)
    assert "off_site" in codes(f)


def test_photo_time_mismatch_both_ways_with_local_times():
    occurred = dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY)
    old = rules.PhotoFacts(number=1, latitude=None, longitude=None, taken_at=occurred - dt.timedelta(days=2, minutes=5))
    result = flag(facts(report=peer(occurred_at=occurred), photos=(old,)), "photo_time_mismatch")
    assert result.params["variant"] == "before" and result.params["minutes"] == 2885
    assert result.explanation() == (
        "Photo 1 was taken at 2021-01-08 09:25 station time, 2885 min before the incident time 2021-01-10 09:30 (tolerance 120 min)."
    )
    later = rules.PhotoFacts(number=1, latitude=None, longitude=None, taken_at=occurred + dt.timedelta(minutes=121))
    assert flag(facts(report=peer(occurred_at=occurred), photos=(later,)), "photo_time_mismatch").params["variant"] == "after"
    exact = rules.PhotoFacts(number=1, latitude=None, longitude=None, taken_at=occurred + dt.timedelta(minutes=120))
    assert flag(facts(report=peer(occurred_at=occurred), photos=(exact,)), "photo_time_mismatch") is None


# --- cross-report rules ---


def test_impossible_travel_names_the_other_station_and_the_speed():
    here = peer(observer_id=5, occurred_at=dt.datetime(2021, 1, 10, 10, 40, tzinfo=ALMATY))
    there = peer(observer_id=5, **STATION_05001, occurred_at=dt.datetime(2021, 1, 10, 10, 5, tzinfo=ALMATY))
    result = rules.impossible_travel(here, [there], THRESHOLDS)
    assert result.params["related_reports"] == [there.report_id]
    assert result.explanation() == (
        "The same observer reported from station 05001, 972.7 km away, 35 min apart: 1668 km/h, faster than 150 km/h."
    )
    assert rules.impossible_travel(there, [here], THRESHOLDS).params["related_reports"] == [here.report_id]


def test_impossible_travel_at_the_same_minute_and_its_exclusions():
    at = dt.datetime(2021, 1, 10, 10, 0, tzinfo=ALMATY)
    here = peer(observer_id=5, occurred_at=at)
    there = peer(observer_id=5, **STATION_05001, occurred_at=at)
    assert "at the same time" in rules.impossible_travel(here, [there], THRESHOLDS).explanation()
    assert rules.impossible_travel(here, [peer(observer_id=6, **STATION_05001, occurred_at=at)], THRESHOLDS) is None  # someone else
    assert rules.impossible_travel(here, [peer(observer_id=5, **STATION_02002, occurred_at=at)], THRESHOLDS) is None  # 2 km: same area
    correction = peer(observer_id=5, **STATION_05001, occurred_at=at, amends_id=here.report_id)
    assert rules.impossible_travel(here, [correction], THRESHOLDS) is None


def test_duplicate_within_the_organization_with_similar_text():
    mine = peer(organization_id=7, description="A man put a stack of ballots into box 2.")
    colleague = peer(
        observer_id=200,
        organization_id=7,
        occurred_at=mine.occurred_at + dt.timedelta(minutes=6),
        description="Man stuffed a pack of ballots into ballot box 2",
    )
    unrelated = peer(observer_id=201, description="Campaign posters for a party inside the station.")
    result = rules.duplicate(mine, [colleague, unrelated], THRESHOLDS)
    assert result.params["related_reports"] == [colleague.report_id]
    assert result.explanation() == (
        "Similar reports at station 02001 in the same category within 30 min: 1; closest 6 min apart, text similarity 0.71 (at least 0.5)."
    )
    # The observer learns that there is one, not when it was filed nor how close its text is.
    assert rules.observer_flag_text("duplicate", result.params) == (
        "Other reports describe a similar incident at station 02001. A coordinator will compare them."
    )


def test_another_organizations_report_is_never_a_duplicate():
    mine = peer(organization_id=7, description="A man put a stack of ballots into box 2.")
    theirs = peer(
        observer_id=200,
        organization_id=8,
        occurred_at=mine.occurred_at + dt.timedelta(minutes=6),
        description="A man put a stack of ballots into box 2.",
    )
    assert rules.duplicate(mine, [theirs], THRESHOLDS) is None
    assert rules.duplicate(theirs, [mine], THRESHOLDS) is None


def test_another_organizations_reports_never_count_in_a_hotspot():
    start = dt.datetime(2021, 1, 10, 9, 0, tzinfo=ALMATY)
    ours = [peer(observer_id=300 + i, occurred_at=start + dt.timedelta(minutes=5 * i)) for i in range(4)]
    theirs = [peer(observer_id=350 + i, organization_id=8, occurred_at=start + dt.timedelta(minutes=5 * i)) for i in range(4)]
    assert rules.hotspot(ours[0], [*ours[1:], *theirs], THRESHOLDS) is None
    assert rules.hotspot(theirs[0], [*ours, *theirs[1:]], THRESHOLDS) is None
    fifth = peer(observer_id=399, occurred_at=start + dt.timedelta(minutes=30))
    result = rules.hotspot(ours[0], [*ours[1:], fifth, *theirs], THRESHOLDS)
    assert result.params["count"] == 5 and theirs[0].report_id not in result.params["related_reports"]


def test_duplicate_needs_same_station_category_and_time_window():
    mine = peer()
    assert rules.duplicate(mine, [peer(**STATION_02002)], THRESHOLDS) is None
    assert rules.duplicate(mine, [peer(category_code="group_voting")], THRESHOLDS) is None
    assert rules.duplicate(mine, [peer(occurred_at=mine.occurred_at + dt.timedelta(minutes=31))], THRESHOLDS) is None
    assert rules.duplicate(mine, [peer(occurred_at=mine.occurred_at + dt.timedelta(minutes=30))], THRESHOLDS) is not None
    assert rules.duplicate(mine, [peer(amends_id=mine.report_id)], THRESHOLDS) is None


def test_hotspot_is_raised_on_every_report_of_the_cluster():
    start = dt.datetime(2021, 1, 10, 9, 0, tzinfo=ALMATY)
    cluster = [peer(observer_id=300 + i, occurred_at=start + dt.timedelta(minutes=12 * i)) for i in range(5)]  # 09:00–09:48
    outside = peer(observer_id=399, occurred_at=start + dt.timedelta(minutes=130))
    everyone = [*cluster, outside]
    for member in cluster:
        result = rules.hotspot(member, [p for p in everyone if p is not member], THRESHOLDS)
        assert result is not None and result.params["count"] == 5
        assert sorted(result.params["related_reports"]) == sorted(p.report_id for p in cluster if p is not member)
    assert rules.hotspot(outside, cluster, THRESHOLDS) is None
    text = rules.hotspot(cluster[0], cluster[1:], THRESHOLDS).explanation()
    assert text == "Reports at station 02001 within 60 min (2021-01-10 09:00–09:48, Asia/Almaty): 5; 5 or more make a hot spot."
    params = rules.hotspot(cluster[0], cluster[1:], THRESHOLDS).params
    observer_text = rules.observer_flag_text("hotspot", params)
    assert observer_text == "Many reports came from this place in a short time. A coordinator is looking at them."


def test_hotspot_in_a_district_across_stations_and_below_the_minimum():
    start = dt.datetime(2021, 1, 10, 15, 0, tzinfo=ALMATY)
    stations = [{}, STATION_02002, STATION_02003]  # four reports at each: no station hot spot
    reports = [peer(observer_id=400 + i, **stations[i % 3], occurred_at=start + dt.timedelta(minutes=4 * i)) for i in range(12)]
    result = rules.hotspot(reports[1], [r for r in reports if r is not reports[1]], THRESHOLDS)
    assert result.params["variant"] == "district" and result.params["count"] == 12
    assert result.explanation().startswith("Reports in district Almaly within 60 min (2021-01-10 15:00–15:44")
    assert "15:00" not in rules.observer_flag_text("hotspot", result.params)
    assert rules.hotspot(reports[1], reports[2:], THRESHOLDS) is None  # eleven reports


def test_a_correction_and_the_report_it_corrects_count_once_in_a_hotspot():
    start = dt.datetime(2021, 1, 10, 9, 0, tzinfo=ALMATY)
    four = [peer(observer_id=500 + i, occurred_at=start + dt.timedelta(minutes=i)) for i in range(4)]
    correction = peer(observer_id=500, occurred_at=start + dt.timedelta(minutes=5), amends_id=four[0].report_id)
    assert rules.hotspot(four[1], [four[0], *four[2:], correction], THRESHOLDS) is None
    assert rules.hotspot(four[0], [*four[1:], correction], THRESHOLDS) is None


def test_related_reports_are_capped_but_the_count_is_not():
    start = dt.datetime(2021, 1, 10, 9, 0, tzinfo=ALMATY)
    many = [peer(observer_id=600 + i, occurred_at=start + dt.timedelta(seconds=20 * i)) for i in range(30)]
    result = rules.hotspot(many[0], many[1:], dataclasses.replace(THRESHOLDS, related_reports_max=10))
    assert result.params["count"] == 30 and len(result.params["related_reports"]) == 10


# --- risk ---


def test_risk_score_formula():
    off_site = rules.FlagResult("off_site", "high")
    hours = rules.FlagResult("outside_polling_hours", "medium")
    assert rules.risk_score(severity="high", flags=[off_site, hours]) == 80
    assert rules.risk_score(severity="critical", flags=[rules.FlagResult("critical_category", "critical")]) == 100
    assert rules.risk_score(severity="low", flags=[]) == 10
