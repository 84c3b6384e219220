"""SMS: the categories' short codes, the messages a gateway delivered to the
webhook, and the messages sent back (with their delivery log).

Phone numbers are personal data: they live here and in the roster only, never
in submissions, exports or logs.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from monitoring.models import Observer
from reports.models import IncidentCategory, Submission


class CategoryShortCode(models.Model):
    """The short code an observer types for a category (`R 02001 BS …`),
    shipped as data (sms/data/category_codes.json)."""

    category = models.OneToOneField(IncidentCategory, on_delete=models.CASCADE, related_name="sms_code", verbose_name=_("category"))
    short_code = models.CharField(_("short code (SMS)"), max_length=6, unique=True)

    class Meta:
        ordering = ["short_code"]
        verbose_name = _("category short code")
        verbose_name_plural = _("category short codes")

    def __str__(self):
        return f"{self.short_code} = {self.category.code}"


class InboundOutcome(models.TextChoices):
    RECEIVED = "received", _("received")
    FILED = "filed", _("filed")
    HELP = "help", _("help sent")
    PROBLEM = "problem", _("problem in the message")
    REFUSED = "refused", _("refused (accreditation, role)")
    UNKNOWN_SENDER = "unknown_sender", _("unknown sender")
    # Of the messages answered before checklists and protocols were filed by SMS.
    NOT_OPEN = "not_open", _("not filed: this code does not file by SMS yet")


class InboundMessage(models.Model):
    """One message as the gateway delivered it. The gateway's id is unique: a
    delivery retried by the gateway is answered and files nothing new."""

    gateway_id = models.CharField(_("gateway message id"), max_length=128, unique=True)
    sender = models.CharField(_("from"), max_length=20)
    recipient = models.CharField(_("to"), max_length=32, blank=True)
    text = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("received by the gateway at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("observer"))
    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="sms", verbose_name=_("submission")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=InboundOutcome.choices, default=InboundOutcome.RECEIVED)
    # The problem's or the refusal's code (sms.codes, the submission's gates).
    problem = models.CharField(_("problem"), max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        indexes = [models.Index(fields=["sender", "received_at"], name="sms_inbound_sender_idx")]

    def __str__(self):
        return f"SMS {self.gateway_id} ({self.outcome})"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent to the gateway")
    WRITTEN = "written", _("written to the outbox folder")
    FAILED = "failed", _("failed")


class OutboundMessage(models.Model):
    """A message to a phone, and its delivery log: every attempt counted, the last error kept."""

    class Reason(models.TextChoices):
        REPLY = "reply", _("reply")
        UNKNOWN_SENDER = "unknown_sender", _("reply to an unknown number")
        MESSAGE = "message", _("coordinator's message")

    recipient = models.CharField(_("to"), max_length=20)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=2, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, default=Reason.REPLY)
    in_reply_to = models.ForeignKey(
        InboundMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="replies", verbose_name=_("in reply to")
    )
    # The coordinators' message this SMS carries (one per recipient phone).
    observer_message = models.ForeignKey(
        "messaging.ObserverMessage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sms",
        verbose_name=_("message to observers"),
    )
    state = models.CharField(_("delivery"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        indexes = [models.Index(fields=["recipient", "reason", "created_at"], name="sms_outbound_recipient_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["observer_message", "recipient"], condition=Q(observer_message__isnull=False), name="sms_message_once_per_phone"
            )
        ]

    def __str__(self):
        return f"SMS {self.pk} ({self.state})"
