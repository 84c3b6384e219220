"""The rules about one submission alone: each a small function over RuleFacts
that returns a FlagResult, or None when the submission does not raise it.

Which rules a submission runs depends on its kind (`SINGLE_RULES_BY_KIND`):
the location rules and `not_deployed` for every kind; the incident rules
(category, polling hours, late filing, photos) for incident reports only."""

from collections.abc import Callable

from monitoring.geo import haversine_m
from monitoring.localtime import to_local

from .checklist import CHECKLIST_RULES
from .facts import CHECKIN, CHECKLIST, INCIDENT, FlagResult, RuleFacts
from .measures import accuracy_credit_m, is_off_site, km, minutes, number, within_polling_hours
from .risk import FLAG_SEVERITY


def off_site(f: RuleFacts) -> FlagResult | None:
    """The fix is farther from the claimed station than the threshold plus the
    fix's own accuracy radius (a poor fix must not look like a lie), that
    radius counted up to the low-accuracy threshold (`accuracy_credit_m`)."""
    if f.location_source == "station" or f.claimed_station_distance_m is None:
        return None
    threshold = f.thresholds.off_site_meters
    cap = f.thresholds.low_gps_accuracy_meters
    accuracy = f.accuracy_m if f.location_source == "device_gps" else None
    if not is_off_site(f.claimed_station_distance_m, threshold, accuracy, cap):
        return None
    params = {
        "distance_m": round(f.claimed_station_distance_m),
        "distance_km": km(f.claimed_station_distance_m),
        "station": f.station_code,
        "threshold_m": round(threshold),
        "accuracy_m": round(accuracy_credit_m(accuracy, cap)),
    }
    if f.location_source == "photo_exif":
        params["variant"] = "photo_exif"
    elif accuracy is not None and accuracy > cap:
        params.update(variant="accuracy_capped", claimed_accuracy_m=round(accuracy))
    return FlagResult("off_site", FLAG_SEVERITY["off_site"], params)


def low_gps_accuracy(f: RuleFacts) -> FlagResult | None:
    if f.location_source != "device_gps" or f.accuracy_m is None:
        return None
    threshold = f.thresholds.low_gps_accuracy_meters
    if f.accuracy_m <= threshold:
        return None
    return FlagResult(
        "low_gps_accuracy", FLAG_SEVERITY["low_gps_accuracy"], {"accuracy_m": round(f.accuracy_m), "threshold_m": round(threshold)}
    )


def no_location(f: RuleFacts) -> FlagResult | None:
    if f.location_source != "station":
        return None
    return FlagResult("no_location", FLAG_SEVERITY["no_location"], {})


def outside_polling_hours(f: RuleFacts) -> FlagResult | None:
    """Voting-phase incidents can only happen while polls are open, judged on
    the station's wall clock as of that date."""
    if f.category_phase != "voting":
        return None
    if within_polling_hours(f.occurred_at, f.station_timezone, f.voting_day, f.polls_open, f.polls_close):
        return None
    local = to_local(f.occurred_at, f.station_timezone)
    return FlagResult(
        "outside_polling_hours",
        FLAG_SEVERITY["outside_polling_hours"],
        {
            "local_time": local.strftime("%Y-%m-%d %H:%M"),
            "zone": f.station_timezone,
            "opens": f.polls_open.strftime("%H:%M"),
            "closes": f.polls_close.strftime("%H:%M"),
            "voting_day": f.voting_day.isoformat(),
        },
    )


def not_deployed(f: RuleFacts) -> FlagResult | None:
    if f.deployed:
        return None
    return FlagResult("not_deployed", FLAG_SEVERITY["not_deployed"], {"station": f.station_code, "district": f.report.district_name})


def critical_category(f: RuleFacts) -> FlagResult | None:
    if not f.category_critical:
        return None
    return FlagResult("critical_category", FLAG_SEVERITY["critical_category"], {"category": f.category_name_en})


def late_filing(f: RuleFacts) -> FlagResult | None:
    threshold_hours = f.thresholds.late_filing_hours
    delay = (f.received_at - f.occurred_at).total_seconds()
    if delay <= threshold_hours * 3600:
        return None
    return FlagResult(
        "late_filing", FLAG_SEVERITY["late_filing"], {"hours": round(delay / 3600, 1), "threshold_hours": number(threshold_hours)}
    )


def region_mismatch(f: RuleFacts) -> FlagResult | None:
    """The fix is off site *and* in another region than the claimed station, by
    the registry (region of the nearest station) and, when it knows, by the
    gazetteer (first-level division of the nearest settlement). Requiring both
    keeps fixes near a region border from raising it."""
    if f.location_source == "station" or f.claimed_station_distance_m is None or f.gps_region_code is None:
        return None
    if f.gps_region_code == f.station_region_code:
        return None
    if f.admin_region_code is not None and f.admin_region_code == f.station_region_code:
        return None
    accuracy = f.accuracy_m if f.location_source == "device_gps" else None
    if not is_off_site(f.claimed_station_distance_m, f.thresholds.off_site_meters, accuracy, f.thresholds.low_gps_accuracy_meters):
        return None
    return FlagResult(
        "region_mismatch",
        FLAG_SEVERITY["region_mismatch"],
        {
            "gps_region": f.gps_region_name,
            "settlement": f.settlement,
            "station": f.station_code,
            "station_region": f.station_region_name,
            "distance_km": km(f.claimed_station_distance_m),
        },
    )


def photo_location_mismatch(f: RuleFacts) -> FlagResult | None:
    """A photo's EXIF GPS is far from the claimed station *and* from the
    report's own location: the photo was taken somewhere else than both the
    story and the fix say (e.g. an old photo reused). A photo that agrees with
    the fix is left to `off_site`."""
    threshold = f.thresholds.photo_distance_meters
    worst = None
    for photo in f.photos:
        if photo.latitude is None or photo.longitude is None:
            continue
        to_station = haversine_m(photo.latitude, photo.longitude, f.report.station_latitude, f.report.station_longitude)
        to_location = haversine_m(photo.latitude, photo.longitude, f.latitude, f.longitude)
        if to_station > threshold and to_location > threshold and (worst is None or to_station > worst[1]):
            worst = (photo, to_station, to_location)
    if worst is None:
        return None
    photo, to_station, to_location = worst
    return FlagResult(
        "photo_location_mismatch",
        FLAG_SEVERITY["photo_location_mismatch"],
        {
            "photo": photo.number,
            "distance_km": km(to_station),
            "location_distance_km": km(to_location),
            "station": f.station_code,
            "threshold_m": round(threshold),
        },
    )


def photo_time_mismatch(f: RuleFacts) -> FlagResult | None:
    """A photo's EXIF capture time is further from the stated incident time than
    the tolerance, either way."""
    tolerance = f.thresholds.photo_time_minutes * 60
    worst = None
    for photo in f.photos:
        if photo.taken_at is None:
            continue
        gap = (photo.taken_at - f.occurred_at).total_seconds()
        if abs(gap) > tolerance and (worst is None or abs(gap) > abs(worst[1])):
            worst = (photo, gap)
    if worst is None:
        return None
    photo, gap = worst
    return FlagResult(
        "photo_time_mismatch",
        FLAG_SEVERITY["photo_time_mismatch"],
        {
            "photo": photo.number,
            "taken_at": to_local(photo.taken_at, f.station_timezone).strftime("%Y-%m-%d %H:%M"),
            "occurred_at": to_local(f.occurred_at, f.station_timezone).strftime("%Y-%m-%d %H:%M"),
            "minutes": minutes(gap),
            "variant": "before" if gap < 0 else "after",
            "threshold_minutes": f.thresholds.photo_time_minutes,
        },
    )


Rule = Callable[[RuleFacts], FlagResult | None]

# Where the fix puts the observer, against the station claimed: every kind.
LOCATION_RULES: list[Rule] = [off_site, low_gps_accuracy, no_location, region_mismatch]

# An incident report runs every rule, in this order.
SINGLE_REPORT_RULES: list[Rule] = [
    off_site,
    low_gps_accuracy,
    no_location,
    outside_polling_hours,
    not_deployed,
    critical_category,
    late_filing,
    region_mismatch,
    photo_location_mismatch,
    photo_time_mismatch,
]

# A check-in says where the observer is: the location rules and the plan. Not
# late_filing (for a checklist neither): a check-in waits in the phone's outbox while the network is
# down and keeps the moment it was tapped, which is what the coverage board reads.
# A checklist: the location rules, the plan, and what its answers say (rules.checklist).
SINGLE_RULES_BY_KIND: dict[str, list[Rule]] = {
    INCIDENT: SINGLE_REPORT_RULES,
    CHECKIN: [*LOCATION_RULES, not_deployed],
    CHECKLIST: [*LOCATION_RULES, not_deployed, *CHECKLIST_RULES],
}
