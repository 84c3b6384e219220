"""Cache invalidation only (no business logic): any write to a polling station
renews its election's registry revision, whatever path made it (admin, import,
shell, factories). Bulk writes bypass signals; they call
`monitoring.services.station_registry_changed` themselves. A saved or deleted
election is forgotten by this process's intake cache at once
(`monitoring.selectors.election_by_code`; other processes within seconds)."""

import uuid

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Election, PollingStation
from .selectors import elections_forget


@receiver([post_save, post_delete], sender=PollingStation, dispatch_uid="station_registry_changed")
def renew_registry_revision(sender, instance, **kwargs):
    Election.objects.filter(pk=instance.election_id).update(registry_revision=uuid.uuid4())


@receiver([post_save, post_delete], sender=Election, dispatch_uid="election_changed")
def forget_elections(sender, instance, **kwargs):
    elections_forget()
