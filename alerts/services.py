"""Alert operations: raise an event once, fan it out to deliveries (one per
channel and recipient), send a delivery, and the beat's sweep (coverage
lapses, reports whose alert was never raised, deliveries never handed to a
worker).

Once-only rests on the database: `AlertEvent` is unique per organization and
event key, `AlertDelivery` per event, channel and recipient, so a re-run of
the pipeline, a redelivered task or two sweepers at once write nothing twice.
A delivery is sent under its row lock and marked sent in the same
transaction, so two workers never both send it."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from command.services.coverage import coverage_of_organization
from monitoring.models import Election
from reports.models import Flag, ReportState, Severity, Submission

from .delivery import Answer, email_send, webhook_send
from .enqueue import enqueue_delivery
from .models import AlertDelivery, AlertEvent, AlertSettings, Channel, DeliveryAttempt
from .selectors import EventFacts, alert_recipients, coverage_lapses, organizations_with_a_plan, report_alert_facts

logger = logging.getLogger(__name__)


def report_alerts_raise(*, report_id) -> AlertEvent | None:
    """The alert of a processed report (critical, or failed), if it raises one
    and it was not raised before. Safe to call any number of times."""
    facts = report_alert_facts(report_id=report_id)
    return alert_event_raise(facts=facts) if facts is not None else None


def alert_event_raise(*, facts: EventFacts) -> AlertEvent | None:
    """Write the event and its deliveries, and hand them to the workers on
    commit. None if the organization already had this event (by its key)."""
    channels = AlertSettings.objects.filter(organization_id=facts.organization_id).first() or AlertSettings(
        organization_id=facts.organization_id
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = AlertEvent.objects.create(
                    kind=facts.kind, key=facts.key, organization_id=facts.organization_id, election_id=facts.election_id,
                    region_id=facts.region_id, station_id=facts.station_id, observer_id=facts.observer_id,
                    submission_id=facts.submission_id, occurred_at=facts.occurred_at, payload=facts.payload,
                )  # fmt: skip
        except IntegrityError:
            return None  # raised before: its deliveries exist already
        deliveries = []
        if channels.email_enabled:
            recipients = alert_recipients(
                organization_id=facts.organization_id,
                election_id=facts.election_id,
                region_id=facts.region_id,
                only_region=channels.only_region_coordinators,
            )
            deliveries += [AlertDelivery(event=event, channel=Channel.EMAIL, recipient=f"user:{u}", user_id=u) for u in recipients]
        if channels.webhook_url:
            deliveries.append(AlertDelivery(event=event, channel=Channel.WEBHOOK, recipient="webhook"))
        created = AlertDelivery.objects.bulk_create(deliveries)
        for delivery in created:
            transaction.on_commit(lambda pk=delivery.pk: enqueue_delivery(pk))
    logger.info("alert %s (%s) raised: %d deliveries", event.pk, facts.kind, len(created))
    return event


@dataclass(frozen=True)
class SendOutcome:
    state: str  # the delivery's state afterwards
    retry: bool  # the caller should try again later


def delivery_send(*, delivery_id: int) -> SendOutcome:
    """One attempt at a pending delivery, recorded with its answer. Holds the
    delivery's row lock while sending (at most the webhook timeout), so a
    redelivered task waits and then finds it sent."""
    with transaction.atomic():
        delivery = AlertDelivery.objects.select_for_update(of=("self",)).select_related("event", "user").filter(pk=delivery_id).first()
        if delivery is None or delivery.state != AlertDelivery.State.PENDING:
            return SendOutcome(delivery.state if delivery else "missing", retry=False)
        try:
            answer = _send(delivery)
        except Exception as exc:  # a bug or a bad setting: recorded and retried like a failure, never lost
            logger.exception("alert delivery %s could not be attempted", delivery.pk)
            answer = Answer(ok=False, retry=True, status_code=None, text=type(exc).__name__)
        delivery.attempts += 1
        now = timezone.now()
        DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, at=now, ok=answer.ok, status_code=answer.status_code, answer=answer.text[:500]
        )
        retry = not answer.ok and answer.retry and delivery.attempts < settings.ALERTS_MAX_ATTEMPTS
        if answer.ok:
            delivery.state, delivery.sent_at = AlertDelivery.State.SENT, now
        elif not retry:
            delivery.state = AlertDelivery.State.FAILED
        delivery.save(update_fields=["state", "attempts", "sent_at"])
    if not answer.ok:
        logger.warning("alert delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, answer.status_code or answer.text)
    return SendOutcome(delivery.state, retry=retry)


def _send(delivery: AlertDelivery) -> Answer:
    event = delivery.event
    if delivery.channel == Channel.EMAIL:
        address = delivery.user.email if delivery.user and delivery.user.is_active else ""
        if not address:
            return Answer(ok=False, retry=False, status_code=None, text="the coordinator has no e-mail address (or was deactivated)")
        return email_send(address=address, kind=event.kind, payload=event.payload)
    channels = AlertSettings.objects.filter(organization_id=event.organization_id).first()
    if channels is None or not channels.webhook_url:
        return Answer(ok=False, retry=False, status_code=None, text="the organization has no webhook any more")
    return webhook_send(
        url=channels.webhook_url,
        secret=channels.webhook_secret,
        event_id=event.pk,
        delivery_id=delivery.pk,
        kind=event.kind,
        payload=event.payload,
    )


# --- The beat's sweep ---


def alerts_sweep(*, now: dt.datetime | None = None) -> int:
    """Raise what is due and resend what was never handed to a worker. Returns
    how many events it raised."""
    now = now or timezone.now()
    raised = _coverage_alerts(now) + _missed_report_alerts(now)
    deliveries_sweep_pending(now=now)
    return raised


def _coverage_alerts(now: dt.datetime) -> int:
    """Silent and missing observers, as the coverage board states them
    (`command.services.coverage`), of every organization with a plan in an
    election around today."""
    raised = 0
    elections = Election.objects.filter(
        status=Election.Status.OPEN,
        voting_day__gte=(now - dt.timedelta(days=2)).date(),
        voting_day__lte=(now + dt.timedelta(days=1)).date(),
    )
    for election in elections:
        for organization_id in organizations_with_a_plan(election=election):
            coverage = coverage_of_organization(organization_id=organization_id, election=election, now=now)
            lapses = coverage_lapses(coverage=coverage, election=election, organization_id=organization_id, now=now)
            keys = {lapse.key: lapse for lapse in lapses}
            # Most lapses were raised at an earlier sweep: skip them without trying the insert.
            raised_before = set(
                AlertEvent.objects.filter(organization_id=organization_id, key__in=list(keys)).values_list("key", flat=True)
            )
            for key, lapse in keys.items():
                if key not in raised_before:
                    raised += alert_event_raise(facts=lapse) is not None
    return raised


def _missed_report_alerts(now: dt.datetime, *, window_hours: int = 6, limit: int = 200) -> int:
    """Reports that should have raised an alert and did not (the enqueue was
    lost with the broker): processed recently, critical or failed, no event."""
    critical_flag = Flag.objects.filter(report=OuterRef("pk"), severity=Severity.CRITICAL).exclude(state=Flag.State.CLEARED)
    alerted = AlertEvent.objects.filter(submission_id=OuterRef("pk"))
    missed = (
        Submission.objects.filter(processed_at__gte=now - dt.timedelta(hours=window_hours))
        .filter(Q(state=ReportState.FAILED) | Q(state=ReportState.ACCEPTED) & (Q(category__critical=True) | Exists(critical_flag)))
        .exclude(Exists(alerted))
        .order_by("processed_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(report_alerts_raise(report_id=pk) is not None for pk in missed)


def deliveries_sweep_pending(*, now: dt.datetime, older_than_seconds: int | None = None, limit: int = 200) -> int:
    """Re-enqueue pending deliveries nobody attempted (their enqueue was lost).
    One with attempts is waiting for its retry in the broker and is left alone."""
    age = older_than_seconds if older_than_seconds is not None else settings.ALERTS_SWEEP_PENDING_AFTER_SECONDS
    pending = AlertDelivery.objects.filter(state=AlertDelivery.State.PENDING, attempts=0, created_at__lt=now - dt.timedelta(seconds=age))
    return sum(enqueue_delivery(pk) for pk in pending.order_by("created_at").values_list("pk", flat=True)[:limit])


def coordinators_without_email(*, organization_id: int) -> int:
    """How many of the organization's coordinators no e-mail alert can reach (the settings page says so)."""
    return (
        get_user_model()
        .objects.filter(observer__organization_id=organization_id, observer__role="coordinator", is_active=True, email="")
        .count()
    )
