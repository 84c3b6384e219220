"""The roster: who the organization's observers are (personal data, kept apart
from the pseudonymous `monitoring.Observer`), and how their phones get in
(activation codes, API tokens).

Personal data lives only in `RosterEntry`: nothing else (users, observers,
reports, exports, logs) holds a name, phone or e-mail of an imported observer.
This app depends on `monitoring` and never imports `reports`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, Observer, ObserverOrganization, TimeStampedModel


class Language(models.TextChoices):
    KAZAKH = "kk", "Қазақша"
    RUSSIAN = "ru", "Русский"
    ENGLISH = "en", "English"


class RosterEntry(TimeStampedModel):
    """An observer's personal data, visible to the organization's coordinators only."""

    observer = models.OneToOneField(Observer, on_delete=models.CASCADE, related_name="roster_entry", verbose_name=_("observer"))
    # Denormalized from the observer, so that the uniqueness rules below are database constraints.
    organization = models.ForeignKey(
        ObserverOrganization, on_delete=models.PROTECT, related_name="roster_entries", verbose_name=_("organization")
    )
    external_id = models.CharField(_("external id"), max_length=64, help_text=_("The organization's own id of this person."))
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RUSSIAN)
    # False once deactivated (the user is inactive too); a deactivated phone number may be reused.
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organization__name", "external_id"]
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster")
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"], name="roster_external_id_unique_in_organization"),
            models.UniqueConstraint(fields=["phone"], condition=Q(active=True), name="roster_phone_unique_among_active"),
        ]

    def __str__(self):
        return f"{self.external_id} ({self.observer.public_code})"


class ActivationCode(models.Model):
    """A single-use code that logs one phone in as its observer. Only a keyed
    hash of the code is stored; the code itself exists on the printed badge and
    in the CSV handed to the coordinator, nowhere else."""

    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="activation_codes", verbose_name=_("observer"))
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("issued by")
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    device_label = models.CharField(_("device"), max_length=100, blank=True)
    # Set when a newer code was issued to the same observer (or the observer was deactivated).
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        constraints = [
            models.UniqueConstraint(
                fields=["observer"], condition=Q(used_at__isnull=True, voided_at__isnull=True), name="one_live_activation_code_per_observer"
            ),
        ]

    def __str__(self):
        return f"code of {self.observer_id} issued {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """An API token: expires, names its device, stored as a SHA-256 of its key.
    `fingerprint` binds it to the user's password hash, role and active flag at
    issue time, so a change of any of them revokes it (checked on every use)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    fingerprint = models.CharField(max_length=64, editable=False)
    device_label = models.CharField(_("device"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "expires_at"], name="apitoken_user_expiry")]

    def __str__(self):
        return f"token of {self.user_id} ({self.device_label or 'no device'})"


class RosterImport(TimeStampedModel):
    """An uploaded roster file between the admin's preview and its confirmation.
    The file's text is dropped once applied (or discarded): only the summary stays."""

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("previewed")
        APPLIED = "applied", _("applied")
        DISCARDED = "discarded", _("discarded")

    organization = models.ForeignKey(ObserverOrganization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization"))
    election = models.ForeignKey(Election, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("election"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True)
    deactivate_missing = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PREVIEWED)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
