"""Alerts to coordinators: what happened (`AlertEvent`, once per event), to
whom and by which channel it goes (`AlertDelivery`, once per event, channel
and recipient), and every attempt with the answer it got (`DeliveryAttempt`,
append-only). The organization's channels live in `AlertSettings`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, Observer, ObserverOrganization, PollingStation, Region


class AlertSettings(models.Model):
    organization = models.OneToOneField(
        ObserverOrganization, on_delete=models.CASCADE, related_name="alert_settings", verbose_name=_("organization")
    )
    email_enabled = models.BooleanField(_("e-mail the coordinators"), default=True)
    # A coordinator deployed to regions of the election then hears only of those;
    # one without a deployment in the election (headquarters) hears of all.
    only_region_coordinators = models.BooleanField(_("only the coordinators of the event's region"), default=False)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    # Signs each webhook body (HMAC-SHA256); the receiver holds the same secret.
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(webhook_url="") | ~models.Q(webhook_secret=""), name="alert_webhook_has_secret"),
        ]

    def __str__(self):
        return str(self.organization)


class AlertKind(models.TextChoices):
    CRITICAL_REPORT = "critical_report", _("critical report")
    PIPELINE_FAILED = "pipeline_failed", _("report's pipeline failed")
    OBSERVER_SILENT = "observer_silent", _("observer silent")
    OBSERVER_MISSING = "observer_missing", _("observer missing")


class AlertEvent(models.Model):
    """One event an organization's coordinators hear of. `key` names the event
    (the report, or the observer's lapse and when it began), so raising the
    same event twice finds the row the first time wrote."""

    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    key = models.CharField(_("event key"), max_length=200)
    organization = models.ForeignKey(ObserverOrganization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization"))
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+", verbose_name=_("election"))
    region = models.ForeignKey(Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("region"))
    station = models.ForeignKey(
        PollingStation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("station")
    )
    observer = models.ForeignKey(Observer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("observer"))
    # The report's id. Not a foreign key: reports are never deleted, and the
    # alerts' tables then never tie the reports' migrations to this app's.
    submission_id = models.UUIDField(_("report"), null=True, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    # What the e-mail and the webhook say: codes and numbers, no personal data.
    payload = models.JSONField(_("payload"), default=dict)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="alert_event_once")]
        indexes = [models.Index(fields=["organization", "-created_at"], name="alert_org_recent_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    WEBHOOK = "webhook", _("webhook")


class AlertDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("alert"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # `user:<id>` for an e-mail, `webhook` for the organization's webhook.
    recipient = models.CharField(_("recipient"), max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["event", "channel", "recipient"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["event", "channel", "recipient"], name="alert_delivery_once")]
        indexes = [models.Index(fields=["state", "created_at"], name="alert_delivery_pending_idx")]

    def __str__(self):
        return f"{self.channel} → {self.recipient} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try of a delivery and the answer it got. Never changed afterwards."""

    delivery = models.ForeignKey(AlertDelivery, on_delete=models.CASCADE, related_name="tries", verbose_name=_("delivery"))
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("delivered"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    # The receiver's answer (first characters), or the error's type and code.
    answer = models.CharField(_("answer"), max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="alert_attempt_unique_number")]

    def __str__(self):
        return f"#{self.number} {'ok' if self.ok else 'failed'}"
