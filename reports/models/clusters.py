"""The batched refresh of cross-report flags: one row per cluster waiting for it.

A cluster is an organization's accepted incident reports of one district in
one election: the reports whose `duplicate` and `hotspot` flags depend on each
other. Processing a report of the cluster inserts the row (once: the row is
the debounce) and enqueues one refresh; the refresh recomputes the whole
cluster in one pass and deletes the row in the same transaction. A row that
outlives a killed worker is found and re-enqueued by the beat sweeper."""

from django.db import models


class ClusterRefresh(models.Model):
    organization = models.ForeignKey("monitoring.ObserverOrganization", on_delete=models.CASCADE, related_name="+")
    election = models.ForeignKey("monitoring.Election", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("monitoring.District", on_delete=models.CASCADE, related_name="+")
    # The first change the refresh has not yet covered (pipeline lag of the cluster).
    requested_at = models.DateTimeField()
    # When a refresh was last handed to the broker (the sweeper re-enqueues stale ones).
    enqueued_at = models.DateTimeField()
    # The incident times of the changes waiting: only members close enough in
    # time to them can see their flags change (a district's whole day need not).
    span_from = models.DateTimeField()
    span_to = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "election", "district"], name="cluster_refresh_unique")]
        indexes = [models.Index(fields=["enqueued_at"], name="cluster_refresh_enqueued_idx")]

    def __str__(self) -> str:
        return f"cluster {self.organization_id}/{self.election_id}/{self.district_id} pending since {self.requested_at:%H:%M:%S}"
