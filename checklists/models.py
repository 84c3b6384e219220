"""Forms as data, and the quick count's sample and reference figures.

- `Form`: one checklist of an election (code, SMS short code, phase).
- `FormVersion`: the form's JSON document, numbered 1, 2, …; a row is never
  changed or deleted once written (`ImmutableRowError`), so answers filed
  under a version keep meaning what they meant.
- `Sample`, `SampleStratum`, `SampleStation`: the election's quick-count
  sample of polling stations, as drawn (seed) or imported, with the strata's
  sizes in the population at that moment.
- `OfficialResult`, `OfficialVotes`: what the commission announced, national
  and by region, to compare with the quick count.
- `FiledAnswers`: a checklist submission's answers, against the version filed.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, PollingStation, Region, TimeStampedModel


class Phase(models.TextChoices):
    OPENING = "opening", _("opening")
    VOTING = "voting", _("voting")
    CLOSING = "closing", _("closing")
    COUNTING = "counting", _("counting")


class ImmutableRowError(ValueError):
    """An ORM call that would change or remove a form version."""


class Form(TimeStampedModel):
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="forms", verbose_name=_("election"))
    code = models.SlugField(_("code"), max_length=63)
    short_code = models.CharField(_("short code (SMS)"), max_length=6)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)

    class Meta:
        ordering = ["election", "code"]
        verbose_name = _("form")
        verbose_name_plural = _("forms")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="form_code_unique_in_election"),
            models.UniqueConstraint(fields=["election", "short_code"], name="form_short_code_unique_in_election"),
        ]

    def __str__(self):
        return f"{self.code} ({self.election.code})"


class FormVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRowError("Form versions are immutable: they are never updated.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRowError("Form versions are immutable: they are never updated.")

    def delete(self):
        raise ImmutableRowError("Form versions are immutable: they are never deleted.")


class FormVersion(models.Model):
    """One version of a form's document. Immutable: saving an existing row,
    deleting one, and QuerySet `update()` / `delete()` raise ImmutableRowError;
    a changed document is a new version."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="versions", verbose_name=_("form"))
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("document"))
    # SHA-256 of the canonical JSON (checklists.formdoc.canonical_json): loading
    # the same content again makes no new version.
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    objects = FormVersionQuerySet.as_manager()

    class Meta:
        ordering = ["form", "number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="form_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="form_version_number_positive"),
        ]

    def __str__(self):
        return f"{self.form.code} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRowError("Form versions are immutable: an existing version is never saved again.")
        # Always INSERT: an instance given an existing id fails instead of overwriting that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("Form versions are immutable: they are never deleted.")


class Sample(TimeStampedModel):
    """The election's quick-count sample (one per election)."""

    class Method(models.TextChoices):
        DRAWN = "drawn", _("drawn (seeded)")
        IMPORTED = "imported", _("imported from a file")

    class Stratification(models.TextChoices):
        NONE = "none", _("none")
        REGION = "region", _("by region")

    election = models.OneToOneField(Election, on_delete=models.PROTECT, related_name="sample", verbose_name=_("election"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    stratified_by = models.CharField(_("stratified by"), max_length=16, choices=Stratification.choices)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    size = models.PositiveIntegerField(_("stations in the sample"))
    population = models.PositiveIntegerField(_("stations in the election"))

    class Meta:
        verbose_name = _("quick-count sample")
        verbose_name_plural = _("quick-count samples")
        constraints = [
            models.CheckConstraint(condition=Q(method="imported") | Q(seed__isnull=False), name="drawn_sample_has_seed"),
        ]

    def __str__(self):
        return f"{self.election.code}: {self.size} of {self.population} stations"


class SampleStratum(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="strata")
    code = models.CharField(_("stratum"), max_length=64)  # a region code, or "all"
    population = models.PositiveIntegerField(_("stations in the stratum (N_h)"))
    size = models.PositiveIntegerField(_("stations sampled (n_h)"))

    class Meta:
        ordering = ["sample", "code"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "code"], name="sample_stratum_unique"),
            models.CheckConstraint(condition=Q(size__lte=models.F("population")), name="stratum_sample_within_population"),
        ]

    def __str__(self):
        return f"{self.code}: {self.size} of {self.population}"


class SampleStation(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="stations")
    stratum = models.ForeignKey(SampleStratum, on_delete=models.CASCADE, related_name="stations")
    station = models.ForeignKey(PollingStation, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(_("lot (SHA-256 of seed:station)"), max_length=64, blank=True)

    class Meta:
        ordering = ["sample", "stratum", "lot", "station"]
        constraints = [models.UniqueConstraint(fields=["sample", "station"], name="sample_station_unique")]

    def __str__(self):
        return f"station {self.station_id} in {self.stratum_id}"


class OfficialResult(TimeStampedModel):
    """The commission's figures for one area: a region, or the country (no region)."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="official_results", verbose_name=_("election"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region"))
    registered_voters = models.PositiveBigIntegerField(_("registered voters"))
    ballots_cast = models.PositiveBigIntegerField(_("ballots cast"))

    class Meta:
        ordering = ["election", "region__code"]
        verbose_name = _("official result")
        verbose_name_plural = _("official results")
        constraints = [
            models.UniqueConstraint(fields=["election", "region"], name="official_result_unique_region"),
            models.UniqueConstraint(fields=["election"], condition=Q(region__isnull=True), name="official_result_one_national"),
        ]

    def __str__(self):
        return f"{self.election.code} {self.region.code if self.region_id else 'national'}"


class OfficialVotes(models.Model):
    result = models.ForeignKey(OfficialResult, on_delete=models.CASCADE, related_name="votes")
    party = models.CharField(_("party code"), max_length=63)
    votes = models.PositiveBigIntegerField(_("votes"))

    class Meta:
        ordering = ["result", "pk"]
        constraints = [models.UniqueConstraint(fields=["result", "party"], name="official_votes_unique_party")]

    def __str__(self):
        return f"{self.party}: {self.votes}"


class FiledAnswers(models.Model):
    """What a checklist submission (`reports.Checklist`) answered: the form
    version it was filed under and the answers, normalized as
    `answers.answers_check` returns them. Evidence like the submission: never
    changed after intake; a new version of the form leaves it as filed."""

    submission = models.OneToOneField(
        "reports.Submission", on_delete=models.PROTECT, primary_key=True, related_name="filed_answers", verbose_name=_("submission")
    )
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="filed_answers", verbose_name=_("form version"))
    answers = models.JSONField(_("answers"))

    class Meta:
        verbose_name = _("filed answers")
        verbose_name_plural = _("filed answers")

    def __str__(self):
        return f"{self.form_version} answers of {self.submission_id}"
