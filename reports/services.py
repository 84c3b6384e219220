"""Business operations on reports, read top to bottom:

- `report_submit`: intake. Saves the report (and its photos) first, then
  enqueues the pipeline on commit. Idempotent per (observer, client_uuid).
- `report_process`: the pipeline (validate → geotag → flag). Idempotent; safe to
  run concurrently and any number of times.
- `report_decide` and friends: triage by coordinators, each writing a ReportEvent.
- `reports_sweep_stuck`: the beat sweeper that re-enqueues what the broker lost.

Views, serializers, admin actions, tasks and commands are thin adapters over these.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from monitoring.gazetteer import gazetteer
from monitoring.localtime import format_utc
from monitoring.models import Accreditation, Election, Observer, PollingStation, Region
from monitoring.selectors import accreditation_check
from monitoring.spatial import station_index

from . import integrity, rules, validation
from .geotag import Point, geotag
from .models import (
    Attachment,
    Flag,
    IncidentCategory,
    IncidentReport,
    ReportChainHead,
    ReportEvent,
    ReportState,
    TriageStatus,
)
from .photos import ProcessedPhoto, process_photo, sha256_of

logger = logging.getLogger(__name__)


# --- Intake ---------------------------------------------------------------------------


class SubmissionRefused(Exception):
    """The observer may not file this report at all (HTTP 403)."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class IdempotencyConflict(Exception):
    """The client_uuid was already used by this observer for different content (HTTP 409)."""

    def __init__(self, existing: IncidentReport):
        self.existing = existing
        super().__init__(f"client_uuid {existing.client_uuid} was already used for a different report")


@dataclass(frozen=True)
class ReportInput:
    """Validated, resolved submission (the API and web form build it)."""

    client_uuid: uuid.UUID
    election: Election
    station: PollingStation
    category: IncidentCategory
    severity: str | None
    occurred_at: dt.datetime
    description: str
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    amends: IncidentReport | None = None


@dataclass(frozen=True)
class SubmissionResult:
    report: IncidentReport
    created: bool


SUBMITTING_ROLES = {Observer.Role.OBSERVER, Observer.Role.COORDINATOR}


def normalize_description(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _content_fields(*, observer: Observer, data: ReportInput, severity: str, photo_sha256s: Sequence[str]) -> dict:
    return dict(
        client_uuid=str(data.client_uuid),
        observer_code=observer.public_code,
        election_code=data.election.code,
        station_code=data.station.code,
        category_code=data.category.code,
        severity=severity,
        occurred_at_utc=format_utc(data.occurred_at),
        description=normalize_description(data.description),
        latitude=None if data.latitude is None else round(data.latitude, 6),
        longitude=None if data.longitude is None else round(data.longitude, 6),
        accuracy_m=None if data.accuracy_m is None else round(data.accuracy_m, 1),
        amends=str(data.amends.pk) if data.amends else None,
        photo_sha256s=list(photo_sha256s),
    )


def report_submit_check(*, observer: Observer, election: Election) -> None:
    """Cheap checks that refuse a submission outright (raise SubmissionRefused)."""
    if observer.role not in SUBMITTING_ROLES or observer.organization_id is None:
        raise SubmissionRefused("not_an_observer", "Only observers of an accredited organization can file reports.")
    if not election.is_open:
        raise SubmissionRefused("election_closed", "The election is closed to new reports.")
    check = accreditation_check(organization_id=observer.organization_id, election_id=election.pk)
    if not check.ok:
        raise SubmissionRefused(check.code, str(validation.REASON_TEXT[check.code]).format(status=check.code))


def _existing(observer: Observer, client_uuid) -> IncidentReport | None:
    return IncidentReport.objects.filter(submitted_by=observer, client_uuid=client_uuid).first()


def _replay(existing: IncidentReport, content_hash: str) -> SubmissionResult:
    if existing.content_sha256 != content_hash:
        raise IdempotencyConflict(existing)
    return SubmissionResult(existing, created=False)


def report_submit(*, observer: Observer, data: ReportInput, photos: Sequence[bytes] = ()) -> SubmissionResult:
    """File a report. Returns the existing report (created=False) when this
    observer already sent the same content under the same client_uuid.

    Raises SubmissionRefused (403), IdempotencyConflict (409) or PhotoRejected (400).
    The report and its photos are written in one transaction; the pipeline is
    enqueued only after commit, and a broker failure never fails the submission.
    """
    severity = data.severity or data.category.default_severity
    photo_hashes = [sha256_of(p) for p in photos]
    fields = _content_fields(observer=observer, data=data, severity=severity, photo_sha256s=photo_hashes)
    content_hash = integrity.content_sha256(**fields)

    # A resend of something already received is answered before anything else,
    # even if the organization has been suspended since.
    existing = _existing(observer, data.client_uuid)
    if existing is not None:
        return _replay(existing, content_hash)

    report_submit_check(observer=observer, election=data.election)
    processed: list[ProcessedPhoto] = [process_photo(p) for p in photos]

    saved_files: list[Attachment] = []
    try:
        with transaction.atomic():
            report = IncidentReport.objects.create(
                client_uuid=data.client_uuid,
                election=data.election,
                station=data.station,
                category=data.category,
                severity=severity,
                occurred_at=data.occurred_at,
                description=fields["description"],
                latitude=fields["latitude"],
                longitude=fields["longitude"],
                accuracy_m=fields["accuracy_m"],
                submitted_by=observer,
                organization_id=observer.organization_id,
                amends=data.amends,
                received_at=timezone.now(),
                content_sha256=content_hash,
            )
            for position, photo in enumerate(processed):
                attachment = Attachment(
                    report=report,
                    original_content_type=photo.original_content_type,
                    size=photo.original_size,
                    sha256=photo.original_sha256,
                    stored_sha256=photo.stored_sha256,
                    width=photo.width,
                    height=photo.height,
                    exif_latitude=photo.exif_latitude,
                    exif_longitude=photo.exif_longitude,
                    exif_taken_at_local=_aware_camera_time(photo, None),
                    exif_taken_at=_aware_camera_time(photo, data.station),
                    position=position,
                )
                attachment.file.save(f"{attachment.id}.jpg", ContentFile(photo.stored_bytes), save=False)
                saved_files.append(attachment)
                attachment.save()
            ReportEvent.objects.create(
                report=report,
                actor=observer.user,
                at=report.received_at,
                action=ReportEvent.Action.SUBMITTED,
                to_value=ReportState.RECEIVED,
            )
            _chain_append(report)
            transaction.on_commit(lambda: enqueue_processing(report.pk))
    except IntegrityError:
        _delete_files(saved_files)
        # Another request with the same client_uuid won the race; answer as a resend.
        existing = _existing(observer, data.client_uuid)
        if existing is None:
            raise
        return _replay(existing, content_hash)
    except BaseException:
        _delete_files(saved_files)
        raise
    return SubmissionResult(report, created=True)


def _aware_camera_time(photo: ProcessedPhoto, station: PollingStation | None) -> dt.datetime | None:
    """EXIF wall-clock time: as-is (stored as if UTC) when `station` is None,
    else made aware with the EXIF offset or the station's zone."""
    if photo.exif_taken_at_local is None:
        return None
    if station is None:
        return photo.exif_taken_at_local.replace(tzinfo=dt.UTC)
    if photo.exif_utc_offset is not None:
        return photo.exif_taken_at_local.replace(tzinfo=photo.exif_utc_offset)
    return photo.exif_taken_at_local.replace(tzinfo=station.district.region.tzinfo)


def _delete_files(attachments: Sequence[Attachment]) -> None:
    for attachment in attachments:
        try:
            attachment.file.delete(save=False)
        except OSError:
            logger.warning("could not delete orphan photo file for attachment %s", attachment.pk)


def _chain_append(report: IncidentReport) -> None:
    """Append the report to its election's hash chain. Locks the chain head, so
    it runs last in the intake transaction to hold the lock for an instant; the
    moment of receipt is taken under the lock, so chain order is receipt order."""
    ReportChainHead.objects.get_or_create(election_id=report.election_id, defaults={"sha256": integrity.GENESIS})
    head = ReportChainHead.objects.select_for_update().get(election_id=report.election_id)
    received_at = timezone.now()
    seq = head.seq + 1
    link = integrity.chain_link(
        previous=head.sha256,
        seq=seq,
        report_id=str(report.pk),
        received_at_utc=format_utc(received_at),
        content_sha256=report.content_sha256,
    )
    head.seq, head.sha256 = seq, link
    head.save(update_fields=["seq", "sha256"])
    IncidentReport.objects.filter(pk=report.pk).update(received_at=received_at, chain_seq=seq, chain_sha256=link)
    report.received_at, report.chain_seq, report.chain_sha256 = received_at, seq, link


def enqueue_processing(report_id) -> bool:
    """Hand a report to the pipeline. Never raises: if the broker is down the
    report stays `received` and the sweeper enqueues it later."""
    from .tasks import process_report

    try:
        process_report.delay(str(report_id))
        return True
    except Exception:  # broker unreachable, connection reset, …
        logger.warning("could not enqueue report %s; the sweeper will retry", report_id, exc_info=True)
        return False


# --- Pipeline ---------------------------------------------------------------------------


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
            _set_triage(report, TriageStatus.ESCALATED, actor=None, note="critical category: escalated automatically", at=now)
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


# --- Sweeper ---------------------------------------------------------------------------


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


# --- Triage --------------------------------------------------------------------------------

# Which triage transitions a coordinator may make.
TRIAGE_TRANSITIONS = {
    TriageStatus.NEW: {TriageStatus.UNDER_REVIEW, TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED},
    TriageStatus.UNDER_REVIEW: {TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED},
    TriageStatus.VERIFIED: {TriageStatus.ESCALATED, TriageStatus.RESOLVED, TriageStatus.UNDER_REVIEW},
    TriageStatus.DISMISSED: {TriageStatus.UNDER_REVIEW},
    TriageStatus.ESCALATED: {TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.RESOLVED},
    TriageStatus.RESOLVED: {TriageStatus.UNDER_REVIEW},
}


class TriageConflict(Exception):
    """The report changed since the coordinator loaded it, or the transition is not allowed."""


def can_triage(*, user, report: IncidentReport) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    observer = getattr(user, "observer", None)
    return bool(observer is not None and observer.role == Observer.Role.COORDINATOR and observer.organization_id == report.organization_id)


def _set_triage(report: IncidentReport, status: str, *, actor, note: str, at: dt.datetime) -> None:
    previous = report.triage_status
    report.triage_status = status
    report.triage_version += 1
    update = ["triage_status", "triage_version", "updated_at"]
    if actor is not None and status in (TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED, TriageStatus.RESOLVED):
        report.decided_by, report.decided_at = actor, at
        update += ["decided_by", "decided_at"]
    report.save(update_fields=update)
    ReportEvent.objects.create(
        report=report, actor=actor, at=at, action=ReportEvent.Action.TRIAGE, from_value=previous, to_value=status, note=note
    )


def report_decide(*, report_id, actor, status: str, note: str = "", expected_version: int | None = None) -> IncidentReport:
    """Move a report along the triage workflow. Raises PermissionDenied when the
    actor may not triage it, TriageConflict when the transition is not allowed
    or someone else changed the report since `expected_version`."""
    with transaction.atomic():
        report = IncidentReport.objects.select_for_update().get(pk=report_id)
        if not can_triage(user=actor, report=report):
            raise PermissionDenied("You may not triage this report.")
        if expected_version is not None and expected_version != report.triage_version:
            raise TriageConflict("The report was changed by someone else; reload it and try again.")
        if status == report.triage_status:
            return report
        if status not in TRIAGE_TRANSITIONS.get(report.triage_status, set()):
            raise TriageConflict(f"Cannot move a report from {report.triage_status} to {status}.")
        _set_triage(report, status, actor=actor, note=note, at=timezone.now())
        return report
