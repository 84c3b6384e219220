"""Plain facts for the pure rules, with defaults describing an unremarkable
report: carousel voting seen at 09:30 Almaty time on voting day at station
02001 (Almaly district, Almaty), device fix 30 m away with 12 m accuracy,
received four minutes later, observer deployed there."""

import dataclasses
import datetime as dt
import itertools
import zoneinfo

from reports import rules
from reports.thresholds import PipelineThresholds

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
AKTOBE = zoneinfo.ZoneInfo("Asia/Aqtobe")

THRESHOLDS = PipelineThresholds(
    clock_skew_seconds=300,
    off_site_meters=500.0,
    low_gps_accuracy_meters=250.0,
    late_filing_hours=24.0,
    travel_max_kmh=150.0,
    travel_min_meters=2000.0,
    duplicate_window_minutes=30,
    duplicate_min_similarity=0.5,
    hotspot_window_minutes=60,
    hotspot_station_min_reports=5,
    hotspot_district_min_reports=12,
    photo_distance_meters=1000.0,
    photo_time_minutes=120,
    related_reports_max=100,
    sweep_after_seconds=180,
    max_attempts=5,
    retry_backoff_max=600,
)

STATION_02001 = dict(station_id=1, station_code="02001", station_latitude=43.25249, station_longitude=76.9115, district_id=10)
STATION_02002 = dict(station_id=2, station_code="02002", station_latitude=43.2450, station_longitude=76.9200, district_id=10)
STATION_02003 = dict(station_id=4, station_code="02003", station_latitude=43.2600, station_longitude=76.9500, district_id=10)
STATION_05001 = dict(station_id=3, station_code="05001", station_latitude=51.1801, station_longitude=71.44598, district_id=20)

_ids = itertools.count(1)


def peer(**overrides) -> rules.PeerReport:
    values = dict(
        report_id=f"r{next(_ids):04d}",
        observer_id=100,
        organization_id=7,
        **STATION_02001,
        district_name="Almaly",
        timezone="Asia/Almaty",
        category_code="carousel_voting",
        occurred_at=dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY),
        description="Same group of voters came back a second time.",
        amends_id=None,
    )
    values.update(overrides)
    return rules.PeerReport(**values)


def facts(**overrides) -> rules.RuleFacts:
    report = overrides.pop("report", None) or peer(**overrides.pop("peer", {}))
    values = dict(
        report=report,
        station_region_code="almaty",
        station_region_name="Almaty city",
        category_name_en="Carousel voting",
        category_phase="voting",
        category_critical=False,
        received_at=report.occurred_at + dt.timedelta(minutes=4),
        voting_day=dt.date(2021, 1, 10),
        polls_open=dt.time(7, 0),
        polls_close=dt.time(20, 0),
        location_source="device_gps",
        latitude=43.2527,
        longitude=76.9118,
        accuracy_m=12.0,
        claimed_station_distance_m=30.0,
        gps_region_code="almaty",
        gps_region_name="Almaty city",
        admin_region_code="almaty",
        settlement="Almaty",
        deployed=True,
        thresholds=THRESHOLDS,
        photos=(),
        peers=(),
    )
    values.update(overrides)
    return rules.RuleFacts(**values)


def codes(f: rules.RuleFacts) -> list[str]:
    return [flag.code for flag in rules.evaluate(f)]


def replace(obj, **changes):
    return dataclasses.replace(obj, **changes)
