"""The incident taxonomy: categories (shipped as data, reports/data/) and severities."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.models import TrilingualNameMixin


class Severity(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class IncidentCategory(TrilingualNameMixin):
    class Phase(models.TextChoices):
        PRE_ELECTION = "pre_election", _("pre-election")
        OPENING = "opening", _("opening")
        VOTING = "voting", _("voting")
        COUNTING = "counting", _("counting")
        TABULATION = "tabulation", _("tabulation")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    default_severity = models.CharField(_("default severity"), max_length=16, choices=Severity.choices)
    # A report in a critical category is escalated for triage as soon as it is accepted.
    critical = models.BooleanField(_("critical"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
