"""Intake: an observer's report is saved first (with its photos, in one
transaction, appended to the election's hash chain), then handed to the
pipeline after commit. Idempotent per (observer, client_uuid)."""

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.localtime import format_utc
from monitoring.models import Election, Observer, PollingStation
from monitoring.selectors import accreditation_check

from .. import integrity, validation
from ..enqueue import enqueue_processing
from ..models import Attachment, IncidentCategory, IncidentReport, ReportChainHead, ReportEvent, ReportState
from ..permissions import may_file
from ..photos import ProcessedPhoto, process_photos, sha256_of
from ..writes import event_record

logger = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """The observer may not file this report at all (HTTP 403). `message` is
    shown to the user: translated, or lazy so it renders in their language."""

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
    # A new report's photos, as saved (it has no flags yet): enough to answer
    # the observer without reading the report back. Empty for a resend.
    photos: tuple[Attachment, ...] = ()


def normalize_description(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _rounded(value: float | None, digits: int) -> float | None:
    # `+ 0.0` turns -0.0 into 0.0: the database gives back 0.0, so a hash of
    # "-0.0" could never be recomputed from the stored report or an export.
    return None if value is None else round(value, digits) + 0.0


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
        latitude=_rounded(data.latitude, 6),
        longitude=_rounded(data.longitude, 6),
        accuracy_m=_rounded(data.accuracy_m, 1),
        amends=str(data.amends.pk) if data.amends else None,
        photo_sha256s=list(photo_sha256s),
    )


def report_submit_check(*, observer: Observer, election: Election) -> None:
    """Cheap checks that refuse a submission outright (raise SubmissionRefused)."""
    if not may_file(observer):
        raise SubmissionRefused("not_an_observer", _("Only observers of an accredited organization can file reports."))
    if not election.is_open:
        raise SubmissionRefused("election_closed", validation.reason_text({"code": "election_closed"}))
    check = accreditation_check(organization_id=observer.organization_id, election_id=election.pk)
    if not check.ok:
        reason = {"code": check.code, "params": {}}
        if check.accreditation is not None:
            reason["params"] = {"variant": check.accreditation.status}
            if check.accreditation.revoked_at is not None:
                reason["params"]["date"] = validation.format_moment(check.accreditation.revoked_at)
        raise SubmissionRefused(check.code, validation.reason_text(reason))


def _existing(observer: Observer, client_uuid) -> IncidentReport | None:
    # Almost every submission is new: ask for the key alone (a wide model's
    # full SELECT costs more to build than to run), load the report on a resend.
    mine = IncidentReport.objects.filter(submitted_by=observer, client_uuid=client_uuid)
    if not mine.values_list("pk", flat=True).first():
        return None
    return mine.first()


def _replay(existing: IncidentReport, content_hash: str) -> SubmissionResult:
    if existing.content_sha256 != content_hash:
        raise IdempotencyConflict(existing)
    return SubmissionResult(existing, created=False)


def report_submit(*, observer: Observer, data: ReportInput, photos: Sequence[bytes] = ()) -> SubmissionResult:
    """File a report. Returns the existing report (created=False) when this
    observer already sent the same content under the same client_uuid.

    Raises SubmissionRefused (403), IdempotencyConflict (409), PhotoRejected (400)
    or PhotoBusy (503: every photo decoder of this process stayed busy).
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
    # All of the request's photos, bounded together (reports.photos), before the transaction.
    processed: list[ProcessedPhoto] = process_photos(photos)

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
            event_record(
                report, actor=observer.user, at=report.received_at, action=ReportEvent.Action.SUBMITTED, to_value=ReportState.RECEIVED
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
    return SubmissionResult(report, created=True, photos=tuple(saved_files))


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
    moment of receipt is taken under the lock, so chain order is receipt order.
    On PostgreSQL the append is one call of `reports_chain_append` (migration
    0004, the same link as `integrity.chain_link`), so the lock is held for one
    round trip and the COMMIT, not four."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for _attempt in range(2):
                cursor.execute(
                    "SELECT chain_seq, chain_sha256, received_at FROM reports_chain_append(%s, %s, %s)",
                    [report.election_id, report.pk, report.content_sha256],
                )
                row = cursor.fetchone()
                if row is not None:
                    report.chain_seq, report.chain_sha256, report.received_at = row
                    return
                # The election's first report: create the head (a racing first one waits on the insert).
                ReportChainHead.objects.get_or_create(election_id=report.election_id, defaults={"sha256": integrity.GENESIS})
        raise RuntimeError(f"no chain head for election {report.election_id}")
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
