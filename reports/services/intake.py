"""Intake: one submit function for every kind of submission (incident
reports, check-ins, checklists). A submission is saved first (with its photos, its
`submitted` event, appended to its hash chain, in one transaction),
then handed to the pipeline after commit. Idempotent per (observer,
client_uuid) across kinds: the same key and content again is answered with the
same submission, the same key with other content is refused (409).

A kind contributes what it says of its own: its part of the canonical content
(hence of the content hash) and its own columns of the hub (`SubmissionInput`
subclasses below; the doors check its fields). Everything else, the gates,
the idempotency, the transaction, the chain and the enqueue, is the same for
every kind.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.localtime import format_utc
from monitoring.models import Election, Observer, PollingStation
from monitoring.selectors import accreditation_check

from .. import integrity, validation
from ..enqueue import enqueue_processing_soon
from ..models import (
    Attachment,
    ChainHead,
    CheckIn,
    IncidentCategory,
    IncidentReport,
    ReportEvent,
    ReportState,
    Submission,
)
from ..permissions import may_file
from ..photos import ProcessedPhoto, process_photos, sha256_of
from ..writes import event_record

logger = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """The observer may not file this submission at all (HTTP 403). `message`
    is shown to the user: translated, or lazy so it renders in their language."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class IdempotencyConflict(Exception):
    """The client_uuid was already used by this observer for different content (HTTP 409)."""

    def __init__(self, existing: Submission):
        self.existing = existing
        super().__init__(f"client_uuid {existing.client_uuid} was already used for a different submission")


def normalize_description(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _rounded(value: float | None, digits: int) -> float | None:
    # `+ 0.0` turns -0.0 into 0.0: the database gives back 0.0, so a hash of
    # "-0.0" could never be recomputed from the stored submission or an export.
    return None if value is None else round(value, digits) + 0.0


@dataclass(frozen=True, kw_only=True)
class SubmissionInput:
    """What every kind shares, validated and resolved by the door (API
    serializer, web form). A kind subclasses it with its own fields, its
    `proxy` (which makes rows of its kind), and what it puts in the canonical
    content and in the hub's columns."""

    proxy: ClassVar[type[Submission]]

    client_uuid: uuid.UUID
    election: Election
    station: PollingStation
    occurred_at: dt.datetime
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    # What the door found in this request, with the station
    # (`monitoring.selectors.station_for_filing`): True when the observer's
    # organization holds an active accreditation for the election. None: intake asks.
    accreditation_active: bool | None = None

    def content(self, *, photo_sha256s: Sequence[str]) -> dict:
        """The kind's own part of the canonical content (`integrity`)."""
        raise NotImplementedError

    def columns(self) -> dict:
        """The kind's own columns of the hub, as stored."""
        raise NotImplementedError

    def details_save(self, submission: Submission) -> None:
        """Store the kind's detail rows (a kind whose content is more than a
        few columns keeps it in a table of its own app), inside the intake
        transaction, right after the hub's row."""


@dataclass(frozen=True, kw_only=True)
class ReportInput(SubmissionInput):
    """An incident report: category, severity (default: the category's), description, the report it corrects."""

    proxy = IncidentReport

    category: IncidentCategory
    severity: str | None = None
    description: str = ""
    amends: Submission | None = None

    def columns(self) -> dict:
        return dict(
            category=self.category,
            severity=self.severity or self.category.default_severity,
            description=normalize_description(self.description),
            amends=self.amends,
        )

    def content(self, *, photo_sha256s: Sequence[str]) -> dict:
        columns = self.columns()
        return integrity.incident_content(
            category_code=self.category.code,
            severity=columns["severity"],
            description=columns["description"],
            amends=str(self.amends.pk) if self.amends else None,
            photo_sha256s=list(photo_sha256s),
        )


@dataclass(frozen=True, kw_only=True)
class CheckInInput(SubmissionInput):
    """A check-in: `checkin_kind` is arrived, all_quiet or left (models.CheckInKind)."""

    proxy = CheckIn

    checkin_kind: str

    def columns(self) -> dict:
        return dict(checkin_kind=self.checkin_kind)

    def content(self, *, photo_sha256s: Sequence[str]) -> dict:
        return integrity.checkin_content(checkin_kind=self.checkin_kind)


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    created: bool
    # A new submission's photos, as saved (it has no flags yet): enough to answer
    # the observer without reading it back. Empty for a resend.
    photos: tuple[Attachment, ...] = ()


def _content_sha256(*, observer: Observer, data: SubmissionInput, photo_sha256s: Sequence[str]) -> str:
    return integrity.content_sha256(
        client_uuid=str(data.client_uuid),
        observer_code=observer.public_code,
        election_code=data.election.code,
        station_code=data.station.code,
        occurred_at_utc=format_utc(data.occurred_at),
        latitude=_rounded(data.latitude, 6),
        longitude=_rounded(data.longitude, 6),
        accuracy_m=_rounded(data.accuracy_m, 1),
        content=data.content(photo_sha256s=photo_sha256s),
    )


def submission_check(*, observer: Observer, election: Election, accreditation_active: bool | None = None) -> None:
    """Cheap checks that refuse a submission outright (raise SubmissionRefused).
    `accreditation_active` True: the caller read in this request that the
    organization's accreditation is active (SubmissionInput); otherwise it is read here."""
    if not may_file(observer):
        raise SubmissionRefused("not_an_observer", _("Only observers of an accredited organization can file reports."))
    if not election.is_open:
        raise SubmissionRefused("election_closed", validation.reason_text({"code": "election_closed"}))
    if accreditation_active:
        return
    check = accreditation_check(organization_id=observer.organization_id, election_id=election.pk)
    if not check.ok:
        reason = {"code": check.code, "params": {}}
        if check.accreditation is not None:
            reason["params"] = {"variant": check.accreditation.status}
            if check.accreditation.revoked_at is not None:
                reason["params"]["date"] = validation.format_moment(check.accreditation.revoked_at)
        raise SubmissionRefused(check.code, validation.reason_text(reason))


def _existing(observer: Observer, client_uuid) -> Submission | None:
    # Any kind: the key is the observer's, whatever they sent with it.
    return Submission.objects.filter(submitted_by=observer, client_uuid=client_uuid).first()


def _replay(existing: Submission, content_hash: str) -> SubmissionResult:
    if existing.content_sha256 != content_hash:
        raise IdempotencyConflict(existing)
    return SubmissionResult(existing, created=False)


def submission_submit(*, observer: Observer, data: SubmissionInput, source: str, photos: Sequence[bytes] = ()) -> SubmissionResult:
    """File a submission of `data`'s kind, received through `source`
    (models.SubmissionSource). Returns the existing one (created=False) when
    this observer already sent the same content under the same client_uuid.

    Raises SubmissionRefused (403), IdempotencyConflict (409), PhotoRejected (400)
    or PhotoBusy (503: every photo decoder of this process stayed busy).
    The submission and its photos are written in one transaction; the pipeline
    is enqueued only after commit, in the background (`enqueue_processing_soon`),
    and a broker failure never fails it.
    """
    content_hash = _content_sha256(observer=observer, data=data, photo_sha256s=[sha256_of(p) for p in photos])

    # Almost every submission is new, so the resend check is the insert itself:
    # the key is unique per observer, and a resend fails the insert and is
    # answered from the row that holds the key. Photos are costly to decode, so
    # with photos the key is looked up first.
    if photos and (existing := _existing(observer, data.client_uuid)) is not None:
        return _replay(existing, content_hash)
    try:
        submission_check(observer=observer, election=data.election, accreditation_active=data.accreditation_active)
    except SubmissionRefused:
        # A resend of something already received is answered as such, even if
        # the organization has been suspended or the election closed since.
        existing = _existing(observer, data.client_uuid)
        if existing is None:
            raise
        return _replay(existing, content_hash)
    # All of the request's photos, bounded together (reports.photos), before the transaction.
    processed: list[ProcessedPhoto] = process_photos(photos)

    saved_files: list[Attachment] = []
    try:
        with transaction.atomic():
            submission = data.proxy.objects.create(
                client_uuid=data.client_uuid,
                source=source,
                election=data.election,
                station=data.station,
                occurred_at=data.occurred_at,
                latitude=_rounded(data.latitude, 6),
                longitude=_rounded(data.longitude, 6),
                accuracy_m=_rounded(data.accuracy_m, 1),
                submitted_by=observer,
                organization_id=observer.organization_id,
                received_at=timezone.now(),
                content_sha256=content_hash,
                **data.columns(),
            )
            data.details_save(submission)
            saved_files = _save_photos(submission, processed, station=data.station)
            _submitted_record(submission, actor=observer.user)
            transaction.on_commit(lambda: enqueue_processing_soon(submission.pk, submission.kind))
    except IntegrityError:
        _delete_files(saved_files)
        # The key is taken: a resend, or another request with it won the race.
        existing = _existing(observer, data.client_uuid)
        if existing is None:
            raise
        return _replay(existing, content_hash)
    except BaseException:
        _delete_files(saved_files)
        raise
    return SubmissionResult(submission, created=True, photos=tuple(saved_files))


def _save_photos(submission: Submission, processed: Sequence[ProcessedPhoto], *, station: PollingStation) -> list[Attachment]:
    """Store the photos' EXIF-free copies and their rows. The list is filled as
    files are written, so the caller can delete them if the transaction fails."""
    saved: list[Attachment] = []
    try:
        for position, photo in enumerate(processed):
            attachment = Attachment(
                report=submission,
                original_content_type=photo.original_content_type,
                size=photo.original_size,
                sha256=photo.original_sha256,
                stored_sha256=photo.stored_sha256,
                width=photo.width,
                height=photo.height,
                exif_latitude=photo.exif_latitude,
                exif_longitude=photo.exif_longitude,
                exif_taken_at_local=_aware_camera_time(photo, None),
                exif_taken_at=_aware_camera_time(photo, station),
                position=position,
            )
            attachment.file.save(f"{attachment.id}.jpg", ContentFile(photo.stored_bytes), save=False)
            saved.append(attachment)
            attachment.save()
    except BaseException:
        _delete_files(saved)
        raise
    return saved


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


def _submitted_record(submission: Submission, *, actor) -> None:
    """The submission's `submitted` event and its link in its chain: the
    submissions of its kind its organization filed for its election
    (models.ChainHead). Locks the chain head, so it runs last in the intake
    transaction to hold the lock for an instant; the moment of receipt is taken
    under the lock, so chain order is receipt order. On PostgreSQL the append
    is one call of `reports_chain_append` (migration 0010, the same link as
    `integrity.chain_link`), sent with the event's insert in one statement, so
    the lock is held for one round trip and the COMMIT."""
    event = ReportEvent(
        report=submission, actor=actor, at=submission.received_at, action=ReportEvent.Action.SUBMITTED, to_value=ReportState.RECEIVED
    )
    if connection.vendor != "postgresql":
        event_record(submission, actor=event.actor, at=event.at, action=event.action, to_value=event.to_value)
        _chain_append_portable(submission)
        return
    chain = {"election_id": submission.election_id, "organization_id": submission.organization_id, "kind": submission.kind}
    append = "SELECT chain_seq, chain_sha256, received_at FROM reports_chain_append(%s, %s, %s, %s, %s)"
    append_params = [submission.election_id, submission.organization_id, submission.kind, submission.pk, submission.content_sha256]
    # A data-modifying WITH runs once, whatever the SELECT returns.
    with_event = (
        f"WITH submitted AS (INSERT INTO {ReportEvent._meta.db_table} (report_id, actor_id, at, action, from_value, to_value, note)"
        " VALUES (%s, %s, %s, %s, '', %s, '')) "
    )
    event_params = [event.report_id, event.actor_id, event.at, event.action, event.to_value]
    with connection.cursor() as cursor:
        cursor.execute(with_event + append, event_params + append_params)
        row = cursor.fetchone()
        if row is None:
            # The chain's first submission: create the head (a racing first one waits on the insert).
            ChainHead.objects.get_or_create(**chain, defaults={"sha256": integrity.GENESIS})
            cursor.execute(append, append_params)
            row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"no chain head for {chain}")
    submission.chain_seq, submission.chain_sha256, submission.received_at = row


def _chain_append_portable(submission: Submission) -> None:
    """`reports_chain_append` in Python, for databases without it (SQLite)."""
    chain = {"election_id": submission.election_id, "organization_id": submission.organization_id, "kind": submission.kind}
    ChainHead.objects.get_or_create(**chain, defaults={"sha256": integrity.GENESIS})
    head = ChainHead.objects.select_for_update().get(**chain)
    received_at = timezone.now()
    seq = head.seq + 1
    link = integrity.chain_link(
        previous=head.sha256,
        seq=seq,
        report_id=str(submission.pk),
        received_at_utc=format_utc(received_at),
        content_sha256=submission.content_sha256,
    )
    head.seq, head.sha256 = seq, link
    head.save(update_fields=["seq", "sha256"])
    Submission.objects.filter(pk=submission.pk).update(received_at=received_at, chain_seq=seq, chain_sha256=link)
    submission.received_at, submission.chain_seq, submission.chain_sha256 = received_at, seq, link
