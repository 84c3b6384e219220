"""What each flag says, in the reader's language. A flag stores `params`
(numbers, codes and names, never English sentences); `flag_text` renders them
with the flag's template. The admin and exports keep the English rendering
(`Flag.explanation`); the observer's page and the API render anew."""

from django.utils.translation import gettext_lazy as _

FLAG_TEXT = {
    "off_site": _(
        "GPS fix {distance_km} km ({distance_m} m) from claimed station {station}: more than the allowed {threshold_m} m plus "
        "the fix's accuracy of {accuracy_m} m."
    ),
    "low_gps_accuracy": _("GPS fix accuracy is {accuracy_m} m, worse than {threshold_m} m: the location proves little."),
    "no_location": _("No location: the device sent no GPS fix and no photo carries GPS; station coordinates used."),
    "outside_polling_hours": _(
        "Voting-phase incident at {local_time} station time ({zone}), outside polling hours {opens}–{closes} on {voting_day}."
    ),
    "not_deployed": _("The observer is not deployed to station {station} nor to its district {district}."),
    "impossible_travel": _(
        "The same observer reported from station {other_station}, {distance_km} km away, {minutes} min apart: "
        "{speed_kmh} km/h, faster than {threshold_kmh} km/h."
    ),
    "duplicate": _(
        "Similar reports at station {station} in the same category within {window_minutes} min: {count}; "
        "closest {closest_minutes} min apart, text similarity {similarity} (at least {threshold})."
    ),
    "hotspot": _(
        "Reports at station {place} within {window_minutes} min ({start}–{end}, {zone}): {count}; {threshold} or more make a hot spot."
    ),
    "critical_category": _("Category “{category}” is critical: escalated for immediate review."),
    "late_filing": _("Received {hours} h after the incident, later than {threshold_hours} h."),
    "region_mismatch": _(
        "GPS fix is in {gps_region} (near {settlement}) but claimed station {station} is in {station_region}, {distance_km} km away."
    ),
    "photo_location_mismatch": _(
        "Photo {photo} was taken {distance_km} km from claimed station {station} and {location_distance_km} km from the "
        "report's location (more than {threshold_m} m from both)."
    ),
    "photo_time_mismatch": _(
        "Photo {photo} was taken at {taken_at} station time, {minutes} min from the incident time {occurred_at} "
        "(tolerance {threshold_minutes} min)."
    ),
    "checklist_critical": _("Critical answer in checklist {form} ({count}): {answers}."),
    "results_arithmetic": _("The protocol's figures break {count} QA rule(s) of form {form}: {rules}."),
    "turnout_over_100": _("Turnout {turnout_pct} %: {figure} {ballots} against {registered} registered voters."),
    "results_conflict": _(
        "Another counting protocol of station {station} from the same organization (submission {other}, observer {other_observer}) "
        "gives other figures ({count}): {differences} (this one vs the other)."
    ),
}

# Flags whose wording depends on the case (`params["variant"]`).
FLAG_VARIANT_TEXT = {
    ("off_site", "accuracy_capped"): _(
        "GPS fix {distance_km} km ({distance_m} m) from claimed station {station}: more than the allowed {threshold_m} m plus "
        "the fix's accuracy, counted as at most {accuracy_m} m (the fix claims {claimed_accuracy_m} m)."
    ),
    ("off_site", "photo_exif"): _(
        "Photo GPS {distance_km} km ({distance_m} m) from claimed station {station}: more than the allowed {threshold_m} m "
        "(the report has no device fix)."
    ),
    ("impossible_travel", "simultaneous"): _(
        "The same observer reported from station {other_station}, {distance_km} km away, at the same time."
    ),
    ("photo_time_mismatch", "before"): _(
        "Photo {photo} was taken at {taken_at} station time, {minutes} min before the incident time {occurred_at} "
        "(tolerance {threshold_minutes} min)."
    ),
    ("photo_time_mismatch", "after"): _(
        "Photo {photo} was taken at {taken_at} station time, {minutes} min after the incident time {occurred_at} "
        "(tolerance {threshold_minutes} min)."
    ),
    ("hotspot", "district"): _(
        "Reports in district {place} within {window_minutes} min ({start}–{end}, {zone}): {count}; {threshold} or more make a hot spot."
    ),
}


def flag_text(code: str, params: dict, *, category_name: str | None = None) -> str:
    """Render a flag's explanation from its params in the active language.
    `category_name`, the report's category in that language, replaces the
    English name the flag stores."""
    params = params or {}
    if category_name and "category" in params:
        params = {**params, "category": category_name}
    template = FLAG_VARIANT_TEXT.get((code, params.get("variant"))) or FLAG_TEXT.get(code)
    if template is None:
        return code
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(template)


# What a flag means to the observer who filed the report: what they can check
# or do, in their words. The thresholds, rule names and comparisons with other
# observers' reports are the coordinators' business (FLAG_TEXT).
OBSERVER_FLAG_TEXT = {
    "off_site": _("The location sent with this report is {distance_km} km from station {station}. A coordinator will check it."),
    "low_gps_accuracy": _("The phone's location was imprecise (±{accuracy_m} m). Next time, wait for a better fix if you can."),
    "no_location": _("The report was sent without the phone's location. Next time, allow location if you can."),
    "outside_polling_hours": _(
        "The time given, {local_time}, is outside polling hours ({opens}–{closes}). Check the time if this is a mistake."
    ),
    "not_deployed": _("You are not deployed to station {station}. A coordinator will check it."),
    "impossible_travel": _(
        "You also reported from station {other_station}, {distance_km} km away, shortly before or after. Check the station and the time."
    ),
    "duplicate": _("Other reports describe a similar incident at station {station}. A coordinator will compare them."),
    "hotspot": _("Many reports came from this place in a short time. A coordinator is looking at them."),
    "critical_category": _("This kind of incident is urgent: coordinators have been alerted."),
    "late_filing": _("Sent {hours} h after the incident. Send reports as soon as you can."),
    "region_mismatch": _("The location sent with this report is in another region than station {station}. A coordinator will check it."),
    "photo_location_mismatch": _("Photo {photo} was taken far from station {station}. A coordinator will check it."),
    "photo_time_mismatch": _(
        "Photo {photo} was taken {minutes} min away from the time of the incident. Check the time if this is a mistake."
    ),
    "checklist_critical": _("Your checklist reports a serious problem: coordinators have been alerted."),
    "results_arithmetic": _("The protocol's figures do not add up. Check them against the protocol and send a correction if needed."),
    "turnout_over_100": _("The figures give a turnout of {turnout_pct} %, over 100 %. Check them against the protocol."),
    "results_conflict": _(
        "Another protocol of station {station} from your organization gives other figures. A coordinator will compare them."
    ),
}


def observer_flag_text(code: str, params: dict) -> str:
    """Render a flag for the observer who filed the report, in the active language."""
    params = params or {}
    template = OBSERVER_FLAG_TEXT.get(code)
    if template is None:
        return str(_("A coordinator will review this report."))
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(_("A coordinator will review this report."))
