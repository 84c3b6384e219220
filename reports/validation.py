"""Stage 1 of the pipeline: can this report be accepted?

A pure function over plain facts (no ORM, no Celery), so every reason can be
tested directly. The service gathers the facts; this decides. Reasons carry a
machine-readable code and the numbers behind it; their text is rendered in the
reader's language by `reason_text`.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

REASON_TEXT = {
    "not_accredited": _("Your organization is not accredited to observe this election."),
    "accreditation_revoked": _("Your organization's accreditation was not valid when the incident occurred ({status})."),
    "station_not_in_election": _("Polling station {station} is not part of election {election}."),
    "occurred_in_future": _("The incident time is {seconds} seconds in the future."),
    "outside_observation_window": _("The incident time is outside the election's observation window ({window})."),
    "election_closed": _("The election is closed to new reports."),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"code": self.code, "params": self.params}


@dataclass(frozen=True)
class AccreditationFacts:
    status: str
    valid_from: dt.datetime
    valid_until: dt.datetime


@dataclass(frozen=True)
class ValidationFacts:
    occurred_at: dt.datetime
    now: dt.datetime
    election_code: str
    election_status: str
    observation_starts_at: dt.datetime
    observation_ends_at: dt.datetime | None
    station_code: str
    station_in_election: bool
    accreditations: tuple[AccreditationFacts, ...]
    clock_skew_seconds: int


def validate(facts: ValidationFacts) -> list[Reason]:
    """All the reasons the report cannot be accepted (empty: it can)."""
    reasons: list[Reason] = []
    if facts.election_status != "open":
        reasons.append(Reason("election_closed"))
    if not facts.accreditations:
        reasons.append(Reason("not_accredited"))
    else:
        covering = [a for a in facts.accreditations if a.status == "active" and a.valid_from <= facts.occurred_at <= a.valid_until]
        if not covering:
            active = [a for a in facts.accreditations if a.status == "active"]
            status = "expired or not yet valid" if active else "revoked or suspended"
            reasons.append(Reason("accreditation_revoked", {"status": status}))
    if not facts.station_in_election:
        reasons.append(Reason("station_not_in_election", {"station": facts.station_code, "election": facts.election_code}))
    ahead = (facts.occurred_at - facts.now).total_seconds()
    if ahead > facts.clock_skew_seconds:
        reasons.append(Reason("occurred_in_future", {"seconds": int(ahead)}))
    elif facts.occurred_at < facts.observation_starts_at or (
        facts.observation_ends_at is not None and facts.occurred_at > facts.observation_ends_at
    ):
        end = facts.observation_ends_at.isoformat() if facts.observation_ends_at else "open"
        reasons.append(Reason("outside_observation_window", {"window": f"{facts.observation_starts_at.isoformat()} – {end}"}))
    return reasons


def reason_text(reason: dict) -> str:
    """Render a stored reason ({"code", "params"}) in the active language."""
    template = REASON_TEXT.get(reason.get("code", ""))
    if template is None:
        return str(reason.get("code", ""))
    try:
        return str(template).format(**reason.get("params", {}))
    except (KeyError, IndexError, ValueError):
        return str(template)
