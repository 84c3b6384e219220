"""Property-based tests (hypothesis) for the computations the rules stand on:
distances, the spatial index, time zones, travel speed, clusters, similarity."""

import dataclasses
import datetime as dt
import math
import zoneinfo

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from monitoring.geo import EARTH_RADIUS_M, haversine_m
from monitoring.localtime import local_to_utc, to_local
from monitoring.spatial import StationIndex
from reports import rules
from tests.unit.reports.pipeline.facts import STATION_02002, STATION_02003, STATION_05001, THRESHOLDS, facts, peer

# These tests are about values, not speed: no per-example deadline (CI machines are slow).
untimed = settings(deadline=None)

latitudes = st.floats(min_value=-89.9, max_value=89.9, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
points = st.tuples(latitudes, longitudes)
# Kazakhstan and around: where the registry lives.
kz_points = st.tuples(st.floats(min_value=40.5, max_value=55.5), st.floats(min_value=46.5, max_value=87.5))
KZ_ZONES = ["Asia/Almaty", "Asia/Aqtobe", "Asia/Aqtau", "Asia/Atyrau", "Asia/Oral", "Asia/Qyzylorda", "Asia/Qostanay"]
instants = st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC))


# --- Distance ---


@untimed
@given(points, points)
def test_haversine_is_symmetric_and_bounded(a, b):
    d = haversine_m(*a, *b)
    assert d == haversine_m(*b, *a)
    assert 0 <= d <= math.pi * EARTH_RADIUS_M + 1e-6


@untimed
@given(points)
def test_haversine_of_a_point_to_itself_is_zero(a):
    assert haversine_m(*a, *a) == 0


@untimed
@given(points, points, points)
def test_haversine_triangle_inequality(a, b, c):
    assert haversine_m(*a, *c) <= haversine_m(*a, *b) + haversine_m(*b, *c) + 1e-6


@settings(max_examples=60, deadline=None)
@given(st.lists(kz_points, min_size=1, max_size=40), kz_points)
def test_spatial_index_finds_the_same_nearest_distance_as_a_full_scan(stations, query):
    lats, lons = zip(*stations, strict=True)
    index = StationIndex(list(range(len(stations))), [f"{i:05d}" for i in range(len(stations))], lats, lons)
    nearest = index.nearest(*query)[0]
    scan = min(haversine_m(*query, lat, lon) for lat, lon in stations)
    assert math.isclose(nearest.distance_m, scan, rel_tol=1e-7, abs_tol=0.01)
    assert math.isclose(haversine_m(*query, lats[nearest.station_id], lons[nearest.station_id]), scan, rel_tol=1e-7, abs_tol=0.01)


@settings(max_examples=40, deadline=None)
@given(st.lists(kz_points, min_size=3, max_size=30), kz_points, st.integers(min_value=1, max_value=5))
def test_spatial_index_k_nearest_are_ordered_by_distance(stations, query, k):
    lats, lons = zip(*stations, strict=True)
    found = StationIndex(list(range(len(stations))), ["x"] * len(stations), lats, lons).nearest(*query, k=k)
    distances = [n.distance_m for n in found]
    assert distances == sorted(distances) and len(found) == min(k, len(stations))
    assert np.all(np.isfinite(distances))


# --- Off site ---


thresholds_m = st.floats(min_value=0, max_value=5000, allow_nan=False)
accuracies = st.one_of(st.none(), st.floats(min_value=0, max_value=50_000, allow_nan=False))
caps = st.floats(min_value=0, max_value=5000, allow_nan=False)
distances = st.floats(min_value=0, max_value=2_000_000, allow_nan=False)


@untimed
@given(thresholds_m, accuracies, caps)
def test_off_site_never_at_exactly_the_threshold_plus_accuracy(threshold, accuracy, cap):
    assert not rules.is_off_site(rules.off_site_allowance_m(threshold, accuracy, cap), threshold, accuracy, cap)


@untimed
@given(distances, distances, thresholds_m, accuracies, caps)
def test_off_site_is_monotonic_in_distance(d1, d2, threshold, accuracy, cap):
    near, far = sorted((d1, d2))
    if rules.is_off_site(near, threshold, accuracy, cap):
        assert rules.is_off_site(far, threshold, accuracy, cap)


@untimed
@given(distances, thresholds_m, st.floats(min_value=0, max_value=50_000), st.floats(min_value=0, max_value=50_000), caps)
def test_a_worse_fix_never_makes_a_report_more_off_site(distance, threshold, acc1, acc2, cap):
    good, poor = sorted((acc1, acc2))
    if rules.is_off_site(distance, threshold, poor, cap):
        assert rules.is_off_site(distance, threshold, good, cap)


@untimed
@given(distances, thresholds_m, accuracies, caps)
def test_no_claimed_accuracy_buys_more_than_the_cap(distance, threshold, accuracy, cap):
    if distance > threshold + cap:
        assert rules.is_off_site(distance, threshold, accuracy, cap)


@untimed
@given(st.floats(min_value=0, max_value=200_000), st.floats(min_value=0, max_value=50_000))
def test_off_site_rule_agrees_with_the_predicate(distance, accuracy):
    flagged = "off_site" in [f.code for f in rules.evaluate(facts(claimed_station_distance_m=distance, accuracy_m=accuracy))]
    assert flagged is rules.is_off_site(distance, THRESHOLDS.off_site_meters, accuracy, THRESHOLDS.low_gps_accuracy_meters)


# --- Travel ---


speeds = st.integers(min_value=10, max_value=1000)
seconds = st.integers(min_value=0, max_value=48 * 3600)


@untimed
@given(speeds, st.integers(min_value=1, max_value=48 * 200).map(lambda n: n * 18))
def test_no_impossible_travel_at_exactly_the_threshold_speed(max_kmh, secs):
    exactly = max_kmh * 1000 * secs / 3600  # an integer number of metres: secs is a multiple of 18
    assume(exactly > 2000)
    assert not rules.is_impossible_travel(exactly, secs, max_kmh=max_kmh, min_m=2000)
    assert rules.is_impossible_travel(exactly + 1, secs, max_kmh=max_kmh, min_m=2000)


@untimed
@given(distances, distances, seconds, speeds)
def test_impossible_travel_is_monotonic_in_distance(d1, d2, secs, max_kmh):
    near, far = sorted((d1, d2))
    if rules.is_impossible_travel(near, secs, max_kmh=max_kmh, min_m=2000):
        assert rules.is_impossible_travel(far, secs, max_kmh=max_kmh, min_m=2000)


@untimed
@given(distances, seconds, seconds, speeds)
def test_more_time_never_makes_travel_less_possible(distance, s1, s2, max_kmh):
    quick, slow = sorted((s1, s2))
    if rules.is_impossible_travel(distance, slow, max_kmh=max_kmh, min_m=2000):
        assert rules.is_impossible_travel(distance, quick, max_kmh=max_kmh, min_m=2000)


@untimed
@given(distances, seconds)
def test_implied_speed_matches_the_predicate(distance, secs):
    speed = rules.implied_speed_kmh(distance, secs)
    if distance > 2000 and secs > 0 and not math.isclose(speed, 150, rel_tol=1e-9):
        assert rules.is_impossible_travel(distance, secs, max_kmh=150, min_m=2000) is (speed > 150)


@untimed
@given(kz_points, kz_points, instants, st.integers(min_value=-20 * 3600, max_value=20 * 3600))
def test_impossible_travel_is_symmetric(a, b, when, gap):
    first = peer(observer_id=9, station_id=1, station_latitude=a[0], station_longitude=a[1], occurred_at=when)
    second = peer(observer_id=9, station_id=2, station_latitude=b[0], station_longitude=b[1], occurred_at=when + dt.timedelta(seconds=gap))
    one, other = rules.impossible_travel(first, [second], THRESHOLDS), rules.impossible_travel(second, [first], THRESHOLDS)
    assert (one is None) == (other is None)
    if one is not None:
        assert {k: v for k, v in one.params.items() if k not in ("other_station", "related_reports")} == {
            k: v for k, v in other.params.items() if k not in ("other_station", "related_reports")
        }


# --- Time zones ---


@untimed
@given(instants, st.sampled_from(KZ_ZONES))
def test_local_time_round_trips(moment, zone):
    local = to_local(moment, zone)
    assert local == moment
    assert local_to_utc(local.date(), local.time(), zone) == moment.replace(microsecond=moment.microsecond)


@untimed
@given(instants, st.sampled_from(KZ_ZONES), st.integers(min_value=-12, max_value=14))
def test_polling_hours_depend_on_the_instant_not_on_the_offset_it_was_written_with(moment, zone, hours):
    written = moment.astimezone(dt.timezone(dt.timedelta(hours=hours)))
    args = (dt.date(2021, 1, 10), dt.time(7), dt.time(20))
    assert rules.within_polling_hours(written, zone, *args) == rules.within_polling_hours(moment, zone, *args)


@untimed
@given(st.sampled_from(KZ_ZONES), st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_polls_opening_and_closing_instants_are_inside_and_a_minute_out_is_outside(zone, day):
    opens, closes = dt.time(7), dt.time(20)
    at_open, at_close = local_to_utc(day, opens, zone), local_to_utc(day, closes, zone)
    assert rules.within_polling_hours(at_open, zone, day, opens, closes)
    assert rules.within_polling_hours(at_close, zone, day, opens, closes)
    assert not rules.within_polling_hours(at_open - dt.timedelta(minutes=1), zone, day, opens, closes)
    assert not rules.within_polling_hours(at_close + dt.timedelta(minutes=1), zone, day, opens, closes)


def test_kazakhstan_offsets_are_those_of_the_date():
    # January 2021: Almaty UTC+6, Aktobe UTC+5. March 2024 onward: one zone, UTC+5.
    assert to_local(dt.datetime(2021, 1, 10, 3, 0, tzinfo=dt.UTC), "Asia/Almaty").utcoffset() == dt.timedelta(hours=6)
    assert to_local(dt.datetime(2021, 1, 10, 3, 0, tzinfo=dt.UTC), "Asia/Aqtobe").utcoffset() == dt.timedelta(hours=5)
    assert to_local(dt.datetime(2024, 6, 1, 3, 0, tzinfo=dt.UTC), "Asia/Almaty").utcoffset() == dt.timedelta(hours=5)
    assert zoneinfo.ZoneInfo("Asia/Almaty")


# --- Photo time ---


@untimed
@given(instants, st.integers(min_value=-10 * 24 * 3600, max_value=10 * 24 * 3600))
def test_photo_time_mismatch_is_symmetric_and_strict(occurred, gap):
    photo = rules.PhotoFacts(number=1, latitude=None, longitude=None, taken_at=occurred + dt.timedelta(seconds=gap))
    mirror = rules.PhotoFacts(number=1, latitude=None, longitude=None, taken_at=occurred - dt.timedelta(seconds=gap))
    f = facts(report=peer(occurred_at=occurred), photos=(photo,))
    g = facts(report=peer(occurred_at=occurred), photos=(mirror,))
    flagged = rules.photo_time_mismatch(f) is not None
    assert flagged == (rules.photo_time_mismatch(g) is not None)
    assert flagged == (abs(gap) > THRESHOLDS.photo_time_minutes * 60)


# --- Clusters and similarity ---


texts = st.text(alphabet=st.sampled_from("abc деж әқ 12,."), max_size=40)


@untimed
@given(texts, texts)
def test_text_similarity_is_symmetric_and_between_zero_and_one(a, b):
    s = rules.text_similarity(a, b)
    assert s == rules.text_similarity(b, a)
    assert 0 <= s <= 1
    assert rules.text_similarity(a, a) == 1


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=240), st.booleans()), min_size=1, max_size=25), st.randoms())
def test_hotspot_flags_whole_clusters_whatever_the_order(offsets, rng):
    start = dt.datetime(2021, 1, 10, 8, 0, tzinfo=dt.UTC)
    other_station = {k: v for k, v in STATION_05001.items() if k != "district_id"}
    reports = [
        peer(observer_id=i, occurred_at=start + dt.timedelta(minutes=m), **(other_station if elsewhere else {}))
        for i, (m, elsewhere) in enumerate(offsets)
    ]
    flags = {}
    for r in reports:
        others = [p for p in reports if p is not r]
        result = rules.hotspot(r, others, THRESHOLDS)
        shuffled = list(others)
        rng.shuffle(shuffled)
        assert result == rules.hotspot(r, shuffled, THRESHOLDS)
        flags[r.report_id] = result
    for report_id, result in flags.items():
        if result is not None:
            # Every report of a flagged report's cluster is flagged too.
            assert all(flags[other] is not None for other in result.params["related_reports"]), report_id
            assert result.params["count"] >= THRESHOLDS.hotspot_station_min_reports


@untimed
@given(texts, texts, st.integers(min_value=-40, max_value=40))
def test_duplicate_is_symmetric(a, b, minutes):
    first = peer(description=a)
    second = peer(observer_id=2, description=b, occurred_at=first.occurred_at + dt.timedelta(minutes=minutes))
    assert (rules.duplicate(first, [second], THRESHOLDS) is None) == (rules.duplicate(second, [first], THRESHOLDS) is None)


CLUSTER_THRESHOLDS = dataclasses.replace(THRESHOLDS, hotspot_station_min_reports=3, hotspot_district_min_reports=6, related_reports_max=4)
STORIES = ["Ballots stuffed into box 2.", "Ballots were stuffed into box 2", "A crowd at the door.", ""]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=200),  # minutes after 08:00
            st.integers(min_value=0, max_value=2),  # station of the district
            st.booleans(),  # category
            st.integers(min_value=0, max_value=3),  # story
            st.integers(min_value=-1, max_value=30),  # amends the report at this index (if any, and earlier)
        ),
        min_size=1,
        max_size=30,
    ),
    st.sets(st.integers(min_value=0, max_value=29), max_size=3),
)
def test_a_clusters_batched_flags_are_exactly_the_per_report_rules(rows, corrected_elsewhere):
    """The batched refresh (`rules.cluster_flags`) gives each member exactly
    what `duplicate` and `hotspot` give it among its peers, corrections inside
    and outside the district included."""
    start = dt.datetime(2021, 1, 10, 8, 0, tzinfo=dt.UTC)
    stations = [{}, STATION_02002, STATION_02003]
    members = []
    for i, (minute, station, category, story, amends) in enumerate(rows):
        members.append(
            peer(
                report_id=f"m{i:03d}",
                observer_id=i,
                occurred_at=start + dt.timedelta(minutes=minute),
                category_code="carousel_voting" if category else "group_voting",
                description=STORIES[story],
                amends_id=f"m{amends:03d}" if 0 <= amends < i else None,
                **stations[station],
            )
        )
    # Corrections filed at a station of another district withdraw some members.
    elsewhere = {k: v for k, v in STATION_05001.items()}
    corrections = [peer(report_id=f"c{i:03d}", amends_id=f"m{i:03d}", **elsewhere) for i in corrected_elsewhere if i < len(members)]
    batched = rules.cluster_flags(members, CLUSTER_THRESHOLDS, withdrawn=[c.amends_id for c in corrections])
    for m in members:
        others = [p for p in [*members, *corrections] if p is not m]
        assert batched[m.report_id] == rules.evaluate_cross(m, others, CLUSTER_THRESHOLDS, ("duplicate", "hotspot")), m.report_id
