"""The contact log: a coordinator's call or message to an observer and its
outcome. Append-only: a row is only ever inserted (a correction is a new
attempt or a note), so the log tells what was known when."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, Observer


class AppendOnlyError(ValueError):
    """An ORM call that would change or remove a contact attempt."""


class ContactAttemptQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Contact attempts are append-only: they are never updated.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Contact attempts are append-only: they are never updated.")

    def delete(self):
        raise AppendOnlyError("Contact attempts are append-only: they are never deleted.")


class ContactAttempt(models.Model):
    class Outcome(models.TextChoices):
        REACHED = "reached", _("reached")
        # Marks the observer on the coverage board until their next check-in.
        UNREACHABLE = "unreachable", _("unreachable")
        NOTE = "note", _("note")

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="+", verbose_name=_("election"))
    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="contact_attempts", verbose_name=_("observer"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    text = models.TextField(_("text"), blank=True, max_length=2000)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = ContactAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact log")
        indexes = [models.Index(fields=["election", "observer", "at"], name="contact_observer_time_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(outcome__in=["reached", "unreachable", "note"]), name="contact_outcome_known")
        ]

    def __str__(self):
        return f"{self.observer} {self.outcome} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Contact attempts are append-only: an existing row is never saved again.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Contact attempts are append-only: they are never deleted.")


class PostActivity(models.Model):
    """What one observer sent from one station in an election, as the
    coverage board reads it: the latest arrival, the latest "left" and the
    latest other submission (all quiet, a report), what the pipeline rejected
    left out. A read model kept by PostgreSQL triggers on the submissions
    (migration 0002): an insert raises the row's times (GREATEST, safe for
    concurrent writers), a submission entering or leaving `rejected` recounts
    its row under the row's lock. The code never writes it. SQLite has no
    triggers: there the coverage reads the submissions themselves."""

    election = models.ForeignKey(Election, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    organization_id = models.IntegerField()
    observer = models.ForeignKey(Observer, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    station_id = models.IntegerField()
    last_arrived_at = models.DateTimeField(null=True)
    last_left_at = models.DateTimeField(null=True)
    last_other_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "organization_id", "observer", "station_id"], name="postactivity_unique"),
        ]

    def __str__(self):
        return f"{self.observer_id}@{self.station_id}"
