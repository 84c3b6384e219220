"""Stage 1 of the pipeline: can this report be accepted?

A pure function over plain facts (no ORM, no Celery), so every reason can be
tested directly. The service gathers the facts; this decides. Reasons carry a
machine-readable code and the numbers behind it; their text is rendered in the
reader's language by `reason_text`, so every word of it is translatable (params
carry numbers, codes and dates, never English words).

Intake already refuses what it can check cheaply (an organization without an
active accreditation, a closed election). The pipeline re-checks everything,
because accreditation, the election's status and the station registry can
change between the moment a report is received and the moment it is processed.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

REASON_TEXT = {
    "not_accredited": _("Your organization is not accredited to observe this election."),
    "accreditation_revoked": _("Your organization's accreditation was not valid for this report."),
    "station_not_in_election": _("Polling station {station} is not part of election {election}."),
    "occurred_in_future": _(
        "The incident time is {minutes} minutes after the report was received (more than the {skew_minutes} minutes a phone clock "
        "may drift); check the phone's clock."
    ),
    "outside_observation_window": _("The incident time is outside the election's observation window."),
    "election_closed": _("The election is closed to new reports."),
}

# Reasons whose wording depends on why they apply (`params["variant"]`).
REASON_VARIANT_TEXT = {
    ("accreditation_revoked", "revoked"): _("Your organization's accreditation for this election was revoked on {date}."),
    ("accreditation_revoked", "suspended"): _("Your organization's accreditation for this election was suspended on {date}."),
    ("accreditation_revoked", "not_yet_valid"): _(
        "Your organization's accreditation was not yet valid when the incident occurred (valid from {date})."
    ),
    ("accreditation_revoked", "expired"): _(
        "Your organization's accreditation had expired when the incident occurred (valid until {date})."
    ),
    ("outside_observation_window", "before"): _("The incident time is before the election's observation window opened ({date})."),
    ("outside_observation_window", "after"): _("The incident time is after the election's observation window closed ({date})."),
}

ACTIVE = "active"

# Intake refuses an incident time outside these years outright (400), before
# anything is stored: no real report is that early or late, and times near the
# limits of `datetime` overflow in time-zone arithmetic. Inside them the
# pipeline judges the observation window and the clock skew (reasons above).
INCIDENT_YEARS = (2000, 2100)
_EARLIEST_INCIDENT = dt.datetime(INCIDENT_YEARS[0], 1, 1, tzinfo=dt.UTC)
_AFTER_LAST_INCIDENT = dt.datetime(INCIDENT_YEARS[1] + 1, 1, 1, tzinfo=dt.UTC)
INCIDENT_TIME_OUT_OF_RANGE = _("The incident time must be between the years %(first)s and %(last)s.")


def incident_time_in_range(moment: dt.datetime) -> bool:
    """An aware moment is judged in UTC (comparing aware datetimes never
    overflows); a naive one, a wall-clock time, as written."""
    if moment.tzinfo is None:
        return INCIDENT_YEARS[0] <= moment.year <= INCIDENT_YEARS[1]
    return _EARLIEST_INCIDENT <= moment < _AFTER_LAST_INCIDENT


# The widest GPS accuracy radius intake takes (400 above): no phone fix is
# vaguer than 50 km, and a wider claim proves nothing (the off-site rules credit
# at most FLAG_LOW_GPS_ACCURACY_METERS of it anyway).
MAX_ACCURACY_M = 50_000


def incident_time_range_text() -> str:
    return str(INCIDENT_TIME_OUT_OF_RANGE) % {"first": INCIDENT_YEARS[0], "last": INCIDENT_YEARS[1]}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"code": self.code, "params": self.params}


@dataclass(frozen=True)
class AccreditationFacts:
    status: str  # monitoring.models.Accreditation.Status value
    valid_from: dt.datetime
    valid_until: dt.datetime
    revoked_at: dt.datetime | None = None


@dataclass(frozen=True)
class ValidationFacts:
    occurred_at: dt.datetime
    received_at: dt.datetime
    election_code: str
    election_status: str
    observation_starts_at: dt.datetime
    observation_ends_at: dt.datetime | None
    station_code: str
    station_in_election: bool
    accreditations: tuple[AccreditationFacts, ...]
    clock_skew_seconds: int


def format_moment(moment: dt.datetime) -> str:
    """A language-neutral timestamp for reason texts: 2021-01-05 06:00 UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def accreditation_reason(accreditations: tuple[AccreditationFacts, ...], moment: dt.datetime) -> Reason | None:
    """Why no accreditation lets the organization report an incident at `moment`
    (None: one does). An accreditation counts when it is active now and its
    validity covers the moment of the incident; revoking or suspending it takes
    effect at once, also for reports received earlier and not yet processed."""
    if not accreditations:
        return Reason("not_accredited")
    if any(a.status == ACTIVE and a.valid_from <= moment <= a.valid_until for a in accreditations):
        return None
    active = sorted((a for a in accreditations if a.status == ACTIVE), key=lambda a: a.valid_from)
    if active:
        # The active accreditation exists but does not cover the incident time.
        before = [a for a in active if moment < a.valid_from]
        if before:
            return Reason("accreditation_revoked", {"variant": "not_yet_valid", "date": format_moment(before[0].valid_from)})
        return Reason("accreditation_revoked", {"variant": "expired", "date": format_moment(active[-1].valid_until)})
    latest = max(accreditations, key=lambda a: (a.revoked_at or a.valid_from, a.valid_from))
    params = {"variant": latest.status}
    if latest.revoked_at is not None:
        params["date"] = format_moment(latest.revoked_at)
    return Reason("accreditation_revoked", params)


def validate(facts: ValidationFacts) -> list[Reason]:
    """All the reasons the report cannot be accepted (empty: it can)."""
    reasons: list[Reason] = []
    if facts.election_status != "open":
        reasons.append(Reason("election_closed"))
    accreditation = accreditation_reason(facts.accreditations, facts.occurred_at)
    if accreditation is not None:
        reasons.append(accreditation)
    if not facts.station_in_election:
        reasons.append(Reason("station_not_in_election", {"station": facts.station_code, "election": facts.election_code}))
    # An incident cannot happen after the report about it arrived; a phone clock a
    # few minutes fast is tolerated.
    ahead = (facts.occurred_at - facts.received_at).total_seconds()
    if ahead > facts.clock_skew_seconds:
        skew_minutes = facts.clock_skew_seconds / 60
        reasons.append(
            Reason(
                "occurred_in_future",
                {
                    "minutes": int(-(-ahead // 60)),
                    "skew_minutes": int(skew_minutes) if skew_minutes.is_integer() else round(skew_minutes, 1),
                },
            )
        )
    elif facts.occurred_at < facts.observation_starts_at:
        reasons.append(Reason("outside_observation_window", {"variant": "before", "date": format_moment(facts.observation_starts_at)}))
    elif facts.observation_ends_at is not None and facts.occurred_at > facts.observation_ends_at:
        reasons.append(Reason("outside_observation_window", {"variant": "after", "date": format_moment(facts.observation_ends_at)}))
    return reasons


def reason_text(reason: dict) -> str:
    """Render a stored reason ({"code", "params"}) in the active language."""
    code = reason.get("code", "")
    params = reason.get("params") or {}
    template = REASON_VARIANT_TEXT.get((code, params.get("variant"))) or REASON_TEXT.get(code)
    if template is None:
        return str(code)
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(REASON_TEXT.get(code, template))
