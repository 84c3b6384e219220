"""A gateway delivery, from the webhook: recorded once per gateway id, its
sender looked up in the roster, its text parsed, what it says filed through
the one submit function (source `sms`), and the answer queued for the sender
in their language. Everything happens in one transaction: a delivery that
fails half way leaves nothing, and the gateway's retry is handled afresh.

A filed submission has no device fix: the pipeline geotags it from the
station and flags `no_location`. Its client key is derived from the gateway's
id, and the message as received is part of its content (hence of its content
hash): an incident's description is the whole message, a check-in's content
carries it under `sms`.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from monitoring.localtime import to_local
from monitoring.models import Observer, PollingStation
from reports.models import IncidentCategory, SubmissionSource
from reports.services.intake import CheckInInput, IdempotencyConflict, ReportInput, SubmissionRefused, submission_submit

from .. import replies
from ..codes import AnswersCommand, CheckInCommand, HelpCommand, IncidentCommand, ParseError, sms_parse
from ..incoming import Incoming
from ..models import InboundMessage, InboundOutcome, OutboundMessage
from ..selectors import category_names, election_for, sender_of, station_for, unknown_sender_answered_since, vocabulary_for
from .outbound import sms_send

# client_uuid = uuid5(SMS_NAMESPACE, gateway id): a delivery's key, whoever retries it.
SMS_NAMESPACE = uuid.UUID("6f1f3b7e-5a53-4c1e-9d55-0c2b1c8f5e11")
# How far in the future (on the station's clock) an incident's HHMM may be
# before it is read as the day before (a message typed just after midnight).
TIME_AHEAD = dt.timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class SmsCheckInInput(CheckInInput):
    """A check-in by SMS: the message as received is part of its content."""

    message: str

    def content(self, *, photo_sha256s) -> dict:
        return {**super().content(photo_sha256s=photo_sha256s), "sms": self.message}


@dataclass(frozen=True)
class Received:
    message: InboundMessage
    created: bool


@dataclass(frozen=True)
class _Answer:
    outcome: str
    reply: str
    problem: str = ""
    submission: object = None


def sms_receive(*, incoming: Incoming) -> Received:
    """Record and answer one delivery; the same gateway id again changes nothing (created=False)."""
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                gateway_id=incoming.gateway_id,
                sender=incoming.sender,
                recipient=incoming.recipient,
                text=incoming.text,
                sent_at=incoming.sent_at or timezone.now(),
            )
            _handle(message)
    except IntegrityError:
        existing = InboundMessage.objects.filter(gateway_id=incoming.gateway_id).first()
        if existing is None:
            raise
        return Received(existing, created=False)
    return Received(message, created=True)


def _handle(message: InboundMessage) -> None:
    entry = sender_of(message.sender)
    if entry is None:
        message.outcome = InboundOutcome.UNKNOWN_SENDER
        message.save(update_fields=["outcome"])
        since = timezone.now() - dt.timedelta(seconds=settings.SMS_UNKNOWN_SENDER_REPLY_SECONDS)
        if not unknown_sender_answered_since(phone=message.sender, since=since):
            with translation.override(settings.LANGUAGE_CODE):
                text = replies.unknown_sender()
            sms_send(recipient=message.sender, text=text, reason=OutboundMessage.Reason.UNKNOWN_SENDER, in_reply_to=message)
        return
    with translation.override(entry.language):
        answer = _answer(message, entry.observer)
    message.observer = entry.observer
    message.outcome, message.problem, message.submission = answer.outcome, answer.problem, answer.submission
    message.save(update_fields=["observer", "outcome", "problem", "submission"])
    sms_send(recipient=message.sender, text=answer.reply, language=entry.language, in_reply_to=message)


def _answer(message: InboundMessage, observer: Observer) -> _Answer:
    vocabulary = vocabulary_for(lambda: election_for(observer))
    command = sms_parse(message.text, vocabulary)
    if isinstance(command, ParseError):
        return _Answer(InboundOutcome.PROBLEM, command.message(), problem=command.code)
    if isinstance(command, HelpCommand):
        names = category_names() if command.topic == "R" else {}
        return _Answer(InboundOutcome.HELP, replies.help_text(vocabulary=vocabulary, category_names=names, topic=command.topic))
    station = station_for(observer=observer, code=command.station)
    if station is None:
        return _Answer(InboundOutcome.PROBLEM, replies.station_unknown(command.station), problem="station_unknown")
    if isinstance(command, AnswersCommand):
        return _Answer(InboundOutcome.NOT_OPEN, replies.answers_not_open(), problem="not_open")
    try:
        return _file(message, observer, station, command)
    except SubmissionRefused as exc:
        return _Answer(InboundOutcome.REFUSED, str(exc.message), problem=exc.code)


def _file(message: InboundMessage, observer: Observer, station: PollingStation, command: CheckInCommand | IncidentCommand) -> _Answer:
    common = dict(
        client_uuid=uuid.uuid5(SMS_NAMESPACE, message.gateway_id),
        election=station.election,
        station=station,
    )
    zone_name = station.district.region.timezone
    if isinstance(command, CheckInCommand):
        data = SmsCheckInInput(**common, occurred_at=message.sent_at, checkin_kind=command.checkin_kind, message=message.text)
    else:
        category = IncidentCategory.objects.get(code=command.category)
        occurred_at = _incident_moment(message.sent_at, command.local_time, zone_name)
        data = ReportInput(**common, occurred_at=occurred_at, category=category, description=message.text)
    try:
        submission = submission_submit(observer=observer, data=data, source=SubmissionSource.SMS).submission
    except IdempotencyConflict as exc:  # cannot happen: the key is the gateway id's, which is unique
        submission = exc.existing
    ref = replies.reference(submission.pk)
    local = to_local(data.occurred_at, zone_name)
    if isinstance(command, CheckInCommand):
        reply = replies.checkin_confirmed(checkin_kind=command.checkin_kind, station=station.code, moment=local, ref=ref)
    else:
        reply = replies.incident_confirmed(category=data.category.name, station=station.code, moment=local, ref=ref)
    return _Answer(InboundOutcome.FILED, reply, submission=submission)


def _incident_moment(sent_at: dt.datetime, local_time: dt.time | None, zone_name: str) -> dt.datetime:
    """The message's moment, or `local_time` on the station's clock that day
    (the day before when that would be ahead of the message)."""
    if local_time is None:
        return sent_at
    local = to_local(sent_at, zone_name)
    moment = local.replace(hour=local_time.hour, minute=local_time.minute, second=0, microsecond=0)
    if moment > local + TIME_AHEAD:
        moment -= dt.timedelta(days=1)
    return moment.astimezone(dt.UTC)
