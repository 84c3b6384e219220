"""A gateway delivery, from the webhook: recorded once per gateway id, its
sender looked up in the roster, its text parsed, what it says filed through
the one submit function (source `sms`), and the answer queued for the sender
in their language. Everything happens in one transaction: a delivery that
fails half way leaves nothing, and the gateway's retry is handled afresh.

A filed submission has no device fix: the pipeline geotags it from the
station and flags `no_location`. Its client key is derived from the gateway's
id, and the message as received is part of its content (hence of its content
hash): an incident's description is the whole message, a check-in's and a
checklist's content carry it under `sms`. A checklist (C) or the results
protocol (P) is filed against the current version of its form, its answers
checked by the same `answers_check` as the API's.
"""

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from checklists.answers import answers_check
from checklists.formdoc import FormDocument
from checklists.selectors import form_document
from checklists.services.filing import ChecklistInput
from monitoring.localtime import to_local
from monitoring.models import Observer
from reports.models import IncidentCategory, SubmissionSource
from reports.services.intake import (
    CheckInInput,
    IdempotencyConflict,
    ReportInput,
    SubmissionInput,
    SubmissionRefused,
    submission_submit,
)

from .. import replies
from ..codes import AnswersCommand, CheckInCommand, HelpCommand, IncidentCommand, ParseError, Vocabulary, sms_parse
from ..incoming import Incoming
from ..models import InboundMessage, InboundOutcome, OutboundMessage
from ..selectors import (
    category_names,
    election_for,
    form_version_current,
    sender_of,
    station_for,
    unknown_sender_answered_since,
    vocabulary_for,
)
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


@dataclass(frozen=True, kw_only=True)
class SmsChecklistInput(ChecklistInput):
    """A checklist or the results protocol by SMS: the message as received is part of its content."""

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
    common = dict(client_uuid=uuid.uuid5(SMS_NAMESPACE, message.gateway_id), election=station.election, station=station)
    if isinstance(command, AnswersCommand):
        data = _checklist(message, command, common, vocabulary)
        if isinstance(data, _Answer):
            return data
    else:
        data = _submission(message, command, common)
    try:
        submission = submission_submit(observer=observer, data=data, source=SubmissionSource.SMS).submission
    except IdempotencyConflict as exc:  # cannot happen: the key is the gateway id's, which is unique
        submission = exc.existing
    except SubmissionRefused as exc:
        return _Answer(InboundOutcome.REFUSED, str(exc.message), problem=exc.code)
    return _Answer(InboundOutcome.FILED, _confirmation(command, data, replies.reference(submission.pk)), submission=submission)


def _submission(message: InboundMessage, command: CheckInCommand | IncidentCommand, common: dict) -> SubmissionInput:
    if isinstance(command, CheckInCommand):
        return SmsCheckInInput(**common, occurred_at=message.sent_at, checkin_kind=command.checkin_kind, message=message.text)
    category = IncidentCategory.objects.get(code=command.category)
    occurred_at = _incident_moment(message.sent_at, command.local_time, common["station"].district.region.timezone)
    return ReportInput(**common, occurred_at=occurred_at, category=category, description=message.text)


def _checklist(message: InboundMessage, command: AnswersCommand, common: dict, vocabulary: Vocabulary) -> SmsChecklistInput | _Answer:
    """A checklist or protocol to file against the current version of its form
    in the station's election, its answers checked as the API checks them; or
    the answer naming each question whose answer does not fit (nothing filed)."""
    version = form_version_current(election=common["election"], code=command.form)
    if version is None:
        short = next((short for short, form in vocabulary.forms.items() if form.code == command.form), command.form)
        return _Answer(InboundOutcome.PROBLEM, replies.form_not_in_election(short), problem="form_unknown")
    document = form_document(version)
    check = answers_check(document, command.answers)
    if not check.ok:
        return _Answer(InboundOutcome.PROBLEM, _answers_refused(document, command.answers, check.errors), problem="answers_invalid")
    return SmsChecklistInput(**common, occurred_at=message.sent_at, form_version=version, answers=check.values, message=message.text)


def _answers_refused(document: FormDocument, answers: Mapping[str, object], errors: Mapping[str, list[str]]) -> str:
    """The reply to answers the check refused: each question by its short code,
    in the form's order; the required ones left out together."""

    def short(code: str) -> str:
        question = document.questions.get(code)
        return question.short_code if question else code

    ordered = [code for code in document.questions if code in errors] + [code for code in errors if code not in document.questions]
    missing = [code for code in ordered if code in document.questions and document.questions[code].required and code not in answers]
    invalid = [(short(code), errors[code][0]) for code in ordered if code not in missing]
    return replies.answers_refused(invalid=invalid, missing=[short(code) for code in missing])


def _confirmation(command, data: SubmissionInput, ref: str) -> str:
    zone_name = data.station.district.region.timezone
    local, station = to_local(data.occurred_at, zone_name), data.station.code
    if isinstance(command, CheckInCommand):
        return replies.checkin_confirmed(checkin_kind=command.checkin_kind, station=station, moment=local, ref=ref)
    if isinstance(command, IncidentCommand):
        return replies.incident_confirmed(category=data.category.name, station=station, moment=local, ref=ref)
    if command.protocol:
        return replies.protocol_confirmed(station=station, moment=local, ref=ref)
    return replies.checklist_confirmed(form=data.form_version.form.short_code, station=station, moment=local, ref=ref)


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
