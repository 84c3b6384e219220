"""The pipeline: validate → geotag → flag, one report at a time, idempotent and
safe under concurrency; and the sweeper that re-enqueues what the broker lost."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from monitoring.gazetteer import gazetteer
from monitoring.models import Accreditation, PollingStation, Region
from monitoring.spatial import station_index

from .. import rules, validation
from ..geotag import Point, geotag
from ..models import Flag, IncidentReport, ReportEvent, ReportState, TriageStatus
from .intake import enqueue_processing
from .triage import set_triage_status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessOutcome:
    report_id: str
    state: str
    changed: bool


def _claim(report_id) -> bool:
    """Mark the report as being processed (a committed, conditional UPDATE, so
    attempts survive a killed worker). False if there is nothing to claim."""
    max_attempts = settings.PIPELINE["MAX_ATTEMPTS"]
    now = timezone.now()
    with transaction.atomic():
        claimed = IncidentReport.objects.filter(
            pk=report_id, state__in=[ReportState.RECEIVED, ReportState.PROCESSING], processing_attempts__lt=max_attempts
        ).update(state=ReportState.PROCESSING, processing_started_at=now, processing_attempts=F("processing_attempts") + 1)
    if claimed:
        return True
    # Out of attempts: stop looping and put it in front of a coordinator.
    with transaction.atomic():
        stuck = (
            IncidentReport.objects.select_for_update()
            .filter(pk=report_id, state__in=[ReportState.RECEIVED, ReportState.PROCESSING], processing_attempts__gte=max_attempts)
            .first()
        )
        if stuck is not None:
            previous = stuck.state
            stuck.state = ReportState.FAILED
            stuck.processed_at = now
            stuck.save(update_fields=["state", "processed_at", "updated_at"])
            ReportEvent.objects.create(
                report=stuck,
                at=now,
                action=ReportEvent.Action.PIPELINE_FAILED,
                from_value=previous,
                to_value=ReportState.FAILED,
                note=f"gave up after {stuck.processing_attempts} attempts: {stuck.last_error}"[:2000],
            )
    return False


def report_process(*, report_id, force: bool = False, actor=None) -> ProcessOutcome:
    """Run validate → geotag → flag for one report and store the result.

    Idempotent: the same inputs give the same state, geotag and flags, and no
    duplicate rows or events. Two workers on the same report serialize on the
    row lock; the second sees the work done and returns. `force` re-runs a
    finished report (after reference data was corrected) and records who did it.
    """
    if not force and not _claim(report_id):
        state = IncidentReport.objects.filter(pk=report_id).values_list("state", flat=True).first()
        return ProcessOutcome(str(report_id), state or "missing", changed=False)

    with transaction.atomic():
        report = (
            IncidentReport.objects.select_for_update(of=("self",))
            .select_related("election", "station__district__region", "category", "submitted_by", "organization")
            .get(pk=report_id)
        )
        if report.state in (ReportState.ACCEPTED, ReportState.REJECTED, ReportState.FAILED) and not force:
            return ProcessOutcome(str(report.pk), report.state, changed=False)
        now = timezone.now()
        previous_state = report.state

        reasons = validation.validate(_validation_facts(report, now))
        location = _geotag(report)
        flags = [] if reasons else rules.evaluate(_rule_facts(report, location))

        report.state = ReportState.REJECTED if reasons else ReportState.ACCEPTED
        report.rejection_reasons = [r.as_json() for r in reasons]
        report.processed_at = now
        report.last_error = ""
        _apply_geotag(report, location)
        report.risk_score = 0 if reasons else rules.risk_score(severity=report.severity, flags=flags)
        report.save(
            update_fields=[
                "state",
                "rejection_reasons",
                "processed_at",
                "last_error",
                "risk_score",
                "location_source",
                "location_latitude",
                "location_longitude",
                "geo_region",
                "geo_district",
                "geo_settlement",
                "geo_admin_area",
                "settlement_distance_m",
                "nearest_station",
                "nearest_station_distance_m",
                "claimed_station_distance_m",
                "updated_at",
            ]
        )
        _store_flags(report, flags, now)

        if force:
            ReportEvent.objects.create(
                report=report, actor=actor, at=now, action=ReportEvent.Action.REPROCESSED, from_value=previous_state, to_value=report.state
            )
        elif previous_state != report.state:
            ReportEvent.objects.create(
                report=report, at=now, action=ReportEvent.Action.PROCESSED, from_value=previous_state, to_value=report.state
            )
        if any(f.code == "critical_category" for f in flags) and report.triage_status == TriageStatus.NEW:
            set_triage_status(report, TriageStatus.ESCALATED, actor=None, note="critical category: escalated automatically", at=now)
    return ProcessOutcome(str(report.pk), report.state, changed=True)


def report_mark_error(*, report_id, error: str) -> None:
    """Remember the last transient error (shown to coordinators; no personal data)."""
    IncidentReport.objects.filter(pk=report_id).update(last_error=error[:500])


def _validation_facts(report: IncidentReport, now: dt.datetime) -> validation.ValidationFacts:
    accreditations = tuple(
        validation.AccreditationFacts(status=a.status, valid_from=a.valid_from, valid_until=a.valid_until)
        for a in Accreditation.objects.filter(organization_id=report.organization_id, election_id=report.election_id)
    )
    election = report.election
    return validation.ValidationFacts(
        occurred_at=report.occurred_at,
        now=now,
        election_code=election.code,
        election_status=election.status,
        observation_starts_at=election.observation_starts_at,
        observation_ends_at=election.observation_ends_at,
        station_code=report.station.code,
        station_in_election=report.station.election_id == report.election_id,
        accreditations=accreditations,
        clock_skew_seconds=settings.PIPELINE["CLOCK_SKEW_SECONDS"],
    )


def _geotag(report: IncidentReport):
    device = Point(report.latitude, report.longitude) if report.latitude is not None else None
    photo_fix = (
        report.attachments.filter(exif_latitude__isnull=False).order_by("position").values_list("exif_latitude", "exif_longitude").first()
    )
    photo = Point(*photo_fix) if photo_fix else None
    station = report.station
    return geotag(
        device=device,
        photo=photo,
        station=Point(station.latitude, station.longitude),
        station_index=station_index(report.election),
        gazetteer=gazetteer(),
    )


def _apply_geotag(report: IncidentReport, location) -> None:
    report.location_source = location.source
    report.location_latitude = location.latitude
    report.location_longitude = location.longitude
    report.geo_settlement = location.settlement
    report.geo_admin_area = location.admin_area
    report.settlement_distance_m = location.settlement_distance_m
    report.claimed_station_distance_m = location.claimed_station_distance_m
    report.nearest_station_distance_m = location.nearest_station_distance_m
    report.nearest_station_id = location.nearest_station_id
    nearest = (
        PollingStation.objects.select_related("district__region").filter(pk=location.nearest_station_id).first()
        if location.nearest_station_id
        else None
    )
    if location.source == "station":
        report.geo_district = report.station.district
        report.geo_region = report.station.district.region
        return
    report.geo_district = nearest.district if nearest else None
    region_by_gazetteer = _region_for_admin1(location.admin1) if location.admin1 else None
    report.geo_region = region_by_gazetteer or (nearest.district.region if nearest else None)


def _region_for_admin1(admin1: str) -> Region | None:
    for region in Region.objects.all():
        if admin1 in (region.geonames_admin1 or []):
            return region
    return None


def _rule_facts(report: IncidentReport, location) -> rules.RuleFacts:
    election = report.election
    return rules.RuleFacts(
        station_code=report.station.code,
        station_timezone=report.station.district.region.timezone,
        category_code=report.category.code,
        category_name_en=report.category.name_en,
        category_phase=report.category.phase,
        category_critical=report.category.critical,
        occurred_at=report.occurred_at,
        voting_day=election.voting_day,
        polls_open=election.polls_open,
        polls_close=election.polls_close,
        location_source=location.source,
        accuracy_m=report.accuracy_m if location.source == "device_gps" else None,
        claimed_station_distance_m=location.claimed_station_distance_m,
        thresholds=settings.PIPELINE,
    )


def _store_flags(report: IncidentReport, flags: list[rules.FlagResult], now: dt.datetime) -> None:
    """Make the report's flags exactly `flags`: update in place (keeping a
    coordinator's confirm/clear decision), add new ones, drop ones no longer raised."""
    existing = {f.code: f for f in Flag.objects.filter(report=report)}
    wanted = {f.code: f for f in flags}
    Flag.objects.filter(report=report).exclude(code__in=list(wanted)).delete()
    for code, result in wanted.items():
        explanation = result.explanation("en")
        flag = existing.get(code)
        if flag is None:
            Flag.objects.create(
                report=report, code=code, severity=result.severity, explanation=explanation, params=result.params, raised_at=now
            )
        elif (flag.severity, flag.explanation, flag.params) != (result.severity, explanation, result.params):
            flag.severity, flag.explanation, flag.params = result.severity, explanation, result.params
            flag.save(update_fields=["severity", "explanation", "params", "updated_at"])


# --- Sweeper ---


def reports_sweep_stuck(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-enqueue reports stuck in received/processing (the broker was down at
    submission, or a worker died). Returns how many were enqueued."""
    age = older_than_seconds if older_than_seconds is not None else settings.PIPELINE["SWEEP_AFTER_SECONDS"]
    cutoff = timezone.now() - dt.timedelta(seconds=age)
    stuck = list(
        IncidentReport.objects.filter(state__in=[ReportState.RECEIVED, ReportState.PROCESSING], received_at__lt=cutoff)
        .exclude(state=ReportState.PROCESSING, processing_started_at__gte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for report_id in stuck if enqueue_processing(report_id))
