"""Who may observe, and where: elections, the territory, polling stations,
observer organizations, their accreditation and their observers' deployments.

This app never imports `reports`; reports depend on it, not the other way round.
"""

import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class TrilingualNameMixin(models.Model):
    """Names in Kazakh, Russian and English; `name` picks the active language."""

    name_kk = models.CharField(_("name (Kazakh)"), max_length=200, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name_en


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("%(value)s is not an IANA time zone."), params={"value": value}) from exc


latitude_validators = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
longitude_validators = [MinValueValidator(-180.0), MaxValueValidator(180.0)]


class Election(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    voting_day = models.DateField(_("voting day"))
    # Local wall-clock times, interpreted in each polling station's own time zone.
    polls_open = models.TimeField(_("polls open (local time)"))
    polls_close = models.TimeField(_("polls close (local time)"))
    observation_starts_at = models.DateTimeField(_("observation window starts"))
    observation_ends_at = models.DateTimeField(_("observation window ends"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    # Renewed whenever this election's station registry changes, so cached
    # spatial indexes (monitoring.spatial) know to rebuild. A random token, not a
    # counter, so that two elections can never share a cache key.
    registry_revision = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-voting_day", "code"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        constraints = [
            models.CheckConstraint(condition=Q(polls_open__lt=models.F("polls_close")), name="election_polls_open_before_close"),
            models.CheckConstraint(
                condition=Q(observation_ends_at__isnull=True) | Q(observation_ends_at__gt=models.F("observation_starts_at")),
                name="election_observation_window_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Region(TrilingualNameMixin, TimeStampedModel):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    # Other spellings accepted by the station import (e.g. "Astana" for Nur-Sultan).
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    timezone = models.CharField(_("time zone (IANA)"), max_length=64, validators=[validate_timezone])
    # GeoNames first-level division codes that fall in this region, so the offline
    # gazetteer can say which region a GPS fix is in.
    geonames_admin1 = models.JSONField(_("GeoNames admin1 codes"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class District(TrilingualNameMixin, TimeStampedModel):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts", verbose_name=_("region"))
    code = models.SlugField(_("code"), max_length=64, allow_unicode=True)

    class Meta:
        ordering = ["region__code", "code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="district_code_unique_in_region")]


class PollingStation(TimeStampedModel):
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="stations", verbose_name=_("election"))
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=300)
    address = models.CharField(_("address"), max_length=500, blank=True)
    settlement = models.CharField(_("settlement"), max_length=200, blank=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="stations", verbose_name=_("district"))
    latitude = models.FloatField(_("latitude"), validators=latitude_validators)
    longitude = models.FloatField(_("longitude"), validators=longitude_validators)
    registered_voters = models.PositiveIntegerField(_("registered voters"), default=0)

    class Meta:
        ordering = ["election", "code"]
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="station_code_unique_in_election"),
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="station_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="station_longitude_range"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def region(self) -> Region:
        return self.district.region


class ObserverOrganization(TimeStampedModel):
    class Kind(models.TextChoices):
        DOMESTIC_NGO = "domestic_ngo", _("domestic NGO")
        INTERNATIONAL_MISSION = "international_mission", _("international mission")
        PARTY = "party", _("political party")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=300, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.DOMESTIC_NGO)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    # Printed on every observer's badge: whom to call on election day.
    hotline = models.CharField(_("coordinators' hotline"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("observer organization")
        verbose_name_plural = _("observer organizations")

    def __str__(self):
        return self.name


class Accreditation(TimeStampedModel):
    """The gate: an organization may file reports for an election only while an
    active accreditation covers the moment (see `monitoring.services`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")

    organization = models.ForeignKey(
        ObserverOrganization, on_delete=models.PROTECT, related_name="accreditations", verbose_name=_("organization")
    )
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="accreditations", verbose_name=_("election"))
    number = models.CharField(_("accreditation number"), max_length=64)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(_("reason"), blank=True)
    # When the accreditation stopped being active (revoked or suspended).
    revoked_at = models.DateTimeField(_("revoked/suspended at"), null=True, blank=True)

    class Meta:
        ordering = ["election", "organization__name"]
        verbose_name = _("accreditation")
        verbose_name_plural = _("accreditations")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "election"],
                condition=Q(status="active"),
                name="one_active_accreditation_per_organization_and_election",
            ),
            models.UniqueConstraint(fields=["election", "number"], name="accreditation_number_unique_in_election"),
            models.CheckConstraint(condition=Q(valid_from__lt=models.F("valid_until")), name="accreditation_valid_range"),
            models.CheckConstraint(condition=Q(status="active") | Q(revoked_at__isnull=False), name="inactive_accreditation_has_timestamp"),
        ]

    def __str__(self):
        return f"{self.number} {self.organization} / {self.election.code} ({self.status})"

    def covers(self, moment) -> bool:
        return self.status == self.Status.ACTIVE and self.valid_from <= moment <= self.valid_until


def new_public_code() -> str:
    # Pseudonymous code used in exports instead of names; no ambiguous characters.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "OBS-" + "".join(secrets.choice(alphabet) for _ in range(8))


def public_label(user_id: int | None, public_code: str | None) -> str:
    """A platform user as the audit trail and exports show them: the observer's
    public code, never a name; users without a monitoring profile (platform
    administrators) by id. Exports' SQL formatter writes the same rule."""
    if user_id is None:
        return ""
    return public_code or f"USER-{user_id}"


class Observer(TimeStampedModel):
    """The monitoring profile of a user. Platform staff (commission auditors) have
    no organization and, as auditors, read every organization's reports."""

    class Role(models.TextChoices):
        OBSERVER = "observer", _("observer")
        COORDINATOR = "coordinator", _("coordinator")
        AUDITOR = "auditor", _("auditor")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observer")
    organization = models.ForeignKey(
        ObserverOrganization,
        on_delete=models.PROTECT,
        related_name="observers",
        null=True,
        blank=True,
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OBSERVER)
    badge_number = models.CharField(_("badge number"), max_length=64, blank=True)
    public_code = models.CharField(_("public code"), max_length=16, unique=True, default=new_public_code, editable=False)

    class Meta:
        ordering = ["organization__name", "public_code"]
        verbose_name = _("observer")
        verbose_name_plural = _("observers")
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(role="auditor"),
                name="only_platform_auditors_lack_organization",
            ),
        ]

    def __str__(self):
        return self.public_code

    @property
    def is_platform_auditor(self) -> bool:
        return self.role == self.Role.AUDITOR and self.organization_id is None


class Deployment(TimeStampedModel):
    """Where an observer is posted (the deployment plan): one polling station, or
    a whole district or region for a mobile team. `position` orders an
    observer's stations (0 = primary); the optional shift is wall-clock time at
    the station on voting day (an end before the start ends after midnight)."""

    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="deployments", verbose_name=_("observer"))
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="deployments", verbose_name=_("election"))
    station = models.ForeignKey(
        PollingStation, on_delete=models.PROTECT, null=True, blank=True, related_name="deployments", verbose_name=_("station")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="deployments", verbose_name=_("district")
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="deployments", verbose_name=_("region (mobile team)")
    )
    position = models.PositiveSmallIntegerField(_("position (0 = primary)"), default=0)
    shift_start = models.TimeField(_("shift starts (local time)"), null=True, blank=True)
    shift_end = models.TimeField(_("shift ends (local time)"), null=True, blank=True)

    class Meta:
        ordering = ["election", "observer", "position", "pk"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(station__isnull=False) & Q(district__isnull=True) & Q(region__isnull=True))
                | (Q(station__isnull=True) & Q(district__isnull=False) & Q(region__isnull=True))
                | (Q(station__isnull=True) & Q(district__isnull=True) & Q(region__isnull=False)),
                name="deployment_one_place",
            ),
            models.CheckConstraint(
                condition=Q(shift_start__isnull=True, shift_end__isnull=True)
                | (Q(shift_start__isnull=False) & Q(shift_end__isnull=False) & ~Q(shift_start=models.F("shift_end"))),
                name="deployment_shift_complete",
            ),
            models.UniqueConstraint(fields=["observer", "election", "station"], name="deployment_unique_station"),
            models.UniqueConstraint(fields=["observer", "election", "district"], name="deployment_unique_district"),
            models.UniqueConstraint(fields=["observer", "election", "region"], name="deployment_unique_region"),
        ]

    def __str__(self):
        return f"{self.observer} → {self.station or self.district or self.region}"

    def clean(self):
        if self.station_id and self.election_id and self.station.election_id != self.election_id:
            raise ValidationError({"station": _("The station belongs to another election.")})
