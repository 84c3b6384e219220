"""What hangs off a submission: photos, flags, the append-only audit trail; and
the record of exports."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, ObserverOrganization

from .submissions import Submission, SubmissionKind
from .taxonomy import Severity


def attachment_upload_to(instance, filename):
    return f"photos/{instance.report_id}/{instance.id}.jpg"


class Attachment(models.Model):
    """A photo. `sha256` is of the bytes the phone sent; the stored and served file
    is a re-encoded copy without EXIF (it can locate and identify the observer)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file (EXIF stripped)"), upload_to=attachment_upload_to, max_length=300)
    content_type = models.CharField(_("stored content type"), max_length=100, default="image/jpeg")
    original_content_type = models.CharField(_("original content type"), max_length=100)
    size = models.PositiveIntegerField(_("original size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    stored_sha256 = models.CharField(_("SHA-256 of the stored copy"), max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    exif_latitude = models.FloatField(_("EXIF latitude"), null=True, blank=True)
    exif_longitude = models.FloatField(_("EXIF longitude"), null=True, blank=True)
    # EXIF capture time as written by the camera (local wall-clock, no zone)...
    exif_taken_at_local = models.DateTimeField(_("EXIF capture time (camera local)"), null=True, blank=True)
    # ...and the same moment made aware, with the offset from EXIF or the station's zone.
    exif_taken_at = models.DateTimeField(_("EXIF capture time"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "position"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return f"photo {self.sha256[:12]}"


class Flag(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        CONFIRMED = "confirmed", _("confirmed")
        CLEARED = "cleared", _("cleared")

    report = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="flags")
    code = models.SlugField(_("rule"), max_length=64)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    # English sentence with the numbers, for the admin and exports; `params` lets
    # the observer's page render it in their language.
    explanation = models.TextField(_("explanation"))
    params = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(auto_now=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "code"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [models.UniqueConstraint(fields=["report", "code"], name="flag_unique_per_report_and_rule")]
        # With the report: "reports with flag X" is answered from the index alone.
        indexes = [models.Index(fields=["code", "state"], include=["report"], name="flag_code_state_idx")]

    def __str__(self):
        return f"{self.code} ({self.severity})"


class AppendOnlyError(ValueError):
    """An ORM call that would change or remove rows of the audit trail."""


class ReportEventQuerySet(models.QuerySet):
    """Refuses bulk rewrites of the audit trail (`update`, `bulk_update`,
    `delete`, and with it the admin's "delete selected")."""

    def update(self, **kwargs):
        raise AppendOnlyError("ReportEvent rows are append-only: they are never updated.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("ReportEvent rows are append-only: they are never updated.")

    def delete(self):
        raise AppendOnlyError("ReportEvent rows are append-only: they are never deleted.")


class ReportEvent(models.Model):
    """Append-only audit trail: rows are only ever inserted. Saving an existing
    row, deleting one, and QuerySet `update()` / `delete()` raise AppendOnlyError.

    Deleting a whole report still takes its events with it (CASCADE): Django's
    deletion collector removes related rows with its own SQL (`_raw_delete` on
    the base manager), not through these methods. No code path deletes reports
    (the admin refuses it to everyone, the API and services never do), and the
    organization's hash chain would show the gap; the guard is against rewriting
    the history of a report that exists."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        PROCESSED = "processed", _("processed")
        REPROCESSED = "reprocessed", _("re-processed")
        PIPELINE_FAILED = "pipeline_failed", _("pipeline failed")
        TRIAGE = "triage", _("triage status changed")
        ASSIGNED = "assigned", _("assigned")
        FLAG_CONFIRMED = "flag_confirmed", _("flag confirmed")
        FLAG_CLEARED = "flag_cleared", _("flag cleared")
        NOTE = "note", _("note")

    report = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    # Null means the system (the pipeline).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    from_value = models.CharField(_("from"), max_length=64, blank=True)
    to_value = models.CharField(_("to"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = ReportEventQuerySet.as_manager()

    class Meta:
        ordering = ["report", "at", "id"]
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        indexes = [models.Index(fields=["report", "at"], name="event_report_at_idx")]

    def __str__(self):
        return f"{self.action} {self.from_value}→{self.to_value}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("ReportEvent rows are append-only: an existing row is never saved again.")
        # Always INSERT: a new instance given an existing id would otherwise
        # overwrite that row with an UPDATE (and a taken id now fails instead).
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ReportEvent rows are append-only: they are never deleted.")


class ExportRecord(models.Model):
    """Every export is itself recorded: who, when, which filters, how many rows,
    the rows hash, and the file's whole manifest with its hash (what a verifier
    compares a file's labels with)."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("admin")
        URL = "url", _("download URL")
        COMMAND = "command", _("management command")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    filters = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveBigIntegerField(default=0)
    rows_sha256 = models.CharField(max_length=64, blank=True)
    # The manifest's entries as written in the file, [key, text] in order, and
    # its manifest_sha256: set when the file has been produced to its end.
    manifest = models.JSONField(default=list, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("export record")
        verbose_name_plural = _("export records")

    def __str__(self):
        return f"export {self.started_at:%Y-%m-%d %H:%M} ({self.row_count} rows)"


class CheckpointQuerySet(models.QuerySet):
    """Checkpoints are append-only: no bulk update or delete."""

    def update(self, **kwargs):
        raise AppendOnlyError("Checkpoints are append-only: they are never updated.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Checkpoints are append-only: they are never updated.")

    def delete(self):
        raise AppendOnlyError("Checkpoints are append-only: they are never deleted.")


class Checkpoint(models.Model):
    """A signed statement that one chain (the submissions of one kind one
    organization filed for one election) had link `head` at position `seq` at
    `time` (reports.integrity.checkpoint_statement, signed with the evidence
    key). Append-only; a later rewrite of the chain's history no longer passes
    through a checkpoint an auditor kept (docs/export.md)."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(ObserverOrganization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=SubmissionKind.choices)
    seq = models.PositiveBigIntegerField()
    head = models.CharField(max_length=64)
    time = models.DateTimeField()
    # Ed25519, base64; and which key made it (SHA-256 of the public key's raw bytes).
    signature = models.CharField(max_length=128)
    public_key_sha256 = models.CharField(max_length=64)

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        ordering = ["election", "organization", "kind", "seq"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        constraints = [models.UniqueConstraint(fields=["election", "organization", "kind", "seq"], name="checkpoint_unique_per_position")]

    def __str__(self):
        return f"checkpoint {self.election_id}/{self.organization_id}/{self.kind} #{self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Checkpoints are append-only: an existing one is never saved again.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Checkpoints are append-only: they are never deleted.")
