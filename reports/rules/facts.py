"""The plain facts the rules read (no ORM: reports.facts builds them from the
database), and what a rule returns."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import translation

from ..thresholds import PipelineThresholds
from .texts import flag_text


@dataclass(frozen=True)
class FlagResult:
    code: str
    severity: str
    params: dict = field(default_factory=dict)

    def explanation(self, language: str = "en") -> str:
        with translation.override(language):
            return flag_text(self.code, self.params)


INCIDENT = "incident"  # models.SubmissionKind.INCIDENT, as the rules see it
CHECKIN = "checkin"
CHECKLIST = "checklist"


@dataclass(frozen=True)
class PeerReport:
    """A submission as the cross-report rules see it (the subject or another
    submission of the same election): an incident report, or another kind
    (`kind`), which has no category or description."""

    report_id: str
    observer_id: int
    organization_id: int
    station_id: int
    station_code: str
    station_latitude: float
    station_longitude: float
    district_id: int
    district_name: str
    timezone: str  # the station's IANA zone
    category_code: str | None
    occurred_at: dt.datetime
    description: str
    amends_id: str | None = None
    kind: str = INCIDENT


@dataclass(frozen=True)
class PhotoFacts:
    number: int  # 1-based, in upload order
    latitude: float | None
    longitude: float | None
    taken_at: dt.datetime | None  # aware


@dataclass(frozen=True)
class CriticalAnswerFacts:
    question: str  # the question's code
    answer: str  # as shown: yes / no, a choice code, a number
    text: str  # the question, in English


@dataclass(frozen=True)
class BrokenRuleFacts:
    code: str
    expression: str
    sides: tuple[tuple[str, str], ...]  # for a comparison: each side and its value, as text


@dataclass(frozen=True)
class ProtocolFacts:
    """Another counting protocol of the same station, election and organization."""

    report_id: str
    observer_code: str
    figures: Mapping[str, int | float]


@dataclass(frozen=True)
class ChecklistFacts:
    """What a checklist says, as its rules read it (the checklists app builds it
    from the form version filed and the answers)."""

    form: str  # the form's code
    critical: tuple[CriticalAnswerFacts, ...] = ()
    broken_rules: tuple[BrokenRuleFacts, ...] = ()
    # A results protocol's figures: registered_voters, ballots_cast, … and
    # votes:<party>; empty for a phase checklist.
    figures: Mapping[str, int | float] = field(default_factory=dict)
    others: tuple[ProtocolFacts, ...] = ()


@dataclass(frozen=True)
class RuleFacts:
    report: PeerReport
    station_region_code: str
    station_region_name: str
    # An incident's category ("" and False for other kinds).
    category_name_en: str
    category_phase: str
    category_critical: bool
    received_at: dt.datetime
    voting_day: dt.date
    polls_open: dt.time
    polls_close: dt.time
    location_source: str  # reports.models.LocationSource value
    latitude: float
    longitude: float
    accuracy_m: float | None  # only for a device fix
    claimed_station_distance_m: float | None
    # Region of the nearest station (registry) and region of the gazetteer's
    # first-level division (None: unknown / not mapped to a region).
    gps_region_code: str | None
    gps_region_name: str
    admin_region_code: str | None
    settlement: str
    deployed: bool
    thresholds: PipelineThresholds
    photos: tuple[PhotoFacts, ...] = ()
    # Accepted reports of the same election that cross-report rules may relate
    # this one to (the service's neighbourhood; the rules filter further).
    peers: tuple[PeerReport, ...] = ()
    # A checklist's answers as its rules read them (None for other kinds).
    checklist: ChecklistFacts | None = None

    # Convenience for the single-report rules.
    @property
    def station_code(self) -> str:
        return self.report.station_code

    @property
    def occurred_at(self) -> dt.datetime:
        return self.report.occurred_at

    @property
    def station_timezone(self) -> str:
        return self.report.timezone

    @property
    def kind(self) -> str:
        return self.report.kind
