"""Messages from an organization's coordinators to its observers: the message
(`ObserverMessage`, its text in Kazakh, Russian and English, and to whom it
went), and one `MessageReceipt` per observer it went to, which records when
their phone fetched it (delivered) and when they opened it (read)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, Observer, ObserverOrganization, PollingStation, Region


class Audience(models.TextChoices):
    ORGANIZATION = "organization", _("all the organization's observers")
    REGION = "region", _("the observers deployed in a region")
    STATIONS = "stations", _("the observers deployed at chosen stations")


class ObserverMessage(models.Model):
    organization = models.ForeignKey(ObserverOrganization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization"))
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="+", verbose_name=_("election"))
    audience = models.CharField(_("to"), max_length=16, choices=Audience.choices, default=Audience.ORGANIZATION)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region"))
    stations = models.ManyToManyField(PollingStation, blank=True, related_name="+", verbose_name=_("stations"))
    text_kk = models.TextField(_("text (Kazakh)"), max_length=2000, blank=True)
    text_ru = models.TextField(_("text (Russian)"), max_length=2000, blank=True)
    text_en = models.TextField(_("text (English)"), max_length=2000, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("sent by"))
    sent_at = models.DateTimeField(_("sent at"))
    # Also sent as an SMS to every recipient with a roster phone (the sms app's delivery).
    by_sms = models.BooleanField(_("also by SMS"), default=False)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("message to observers")
        verbose_name_plural = _("messages to observers")
        constraints = [
            models.CheckConstraint(condition=~Q(text_kk="", text_ru="", text_en=""), name="message_has_text"),
            models.CheckConstraint(
                condition=Q(audience="region", region__isnull=False) | (~Q(audience="region") & Q(region__isnull=True)),
                name="message_region_iff_region_audience",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-sent_at"], name="message_org_recent_idx")]

    def __str__(self):
        return (self.text_en or self.text_ru or self.text_kk)[:60]

    def texts(self) -> dict[str, str]:
        return {"kk": self.text_kk, "ru": self.text_ru, "en": self.text_en}


class MessageReceipt(models.Model):
    message = models.ForeignKey(ObserverMessage, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("message"))
    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="+", verbose_name=_("observer"))
    # When the observer's phone first fetched it, and when they first opened it.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["message", "observer"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["message", "observer"], name="message_receipt_once"),
            models.CheckConstraint(condition=Q(read_at__isnull=True) | Q(delivered_at__isnull=False), name="message_read_after_delivered"),
        ]
        indexes = [models.Index(fields=["observer", "-message"], name="message_receipt_observer_idx")]

    def __str__(self):
        return f"{self.message_id} → {self.observer_id}"
