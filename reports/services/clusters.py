"""The batched refresh of cluster flags (`duplicate`, `hotspot`).

A cluster is one organization's accepted incident reports of one district in
one election: the reports whose cluster flags depend on each other
(`reports.rules.clusters`). Recomputing every neighbour's flags on every
arrival made a report's cost grow with its cluster (the square of it for a
burst); instead:

1. Processing a report that can change a cluster (`clusters_mark_pending`, in
   the report's transaction, under the cluster's lock) marks the report
   `cluster_flags_pending` and inserts the cluster's `ClusterRefresh` row if
   there is none. Only the arrival that inserted the row enqueues a refresh,
   `CLUSTER_REFRESH_DEBOUNCE_SECONDS` later: arrivals meanwhile ride along.
2. The refresh (`cluster_refresh`) takes the cluster's lock, reads and locks the
   cluster's reports near the changes' incident times (the row keeps their
   span) in one query, computes every member's flags in one pass,
   writes only the flags that changed (no statement grows a `CASE` per member),
   rescores the members whose flags changed, clears `cluster_flags_pending` and
   deletes the row, all in one transaction. A worker killed mid-refresh rolls
   all of it back: the row stays, and the redelivered task or the sweeper
   (`clusters_sweep_stale`) runs the refresh again. Nothing is lost or doubled:
   flag rows are reconciled (one per report and code), never appended.

Arrivals and the refresh of one cluster serialize on the cluster's advisory
lock (`neighbours.clusters_lock`): the refresh sees every arrival that
committed before it, and every later arrival finds no row and enqueues anew.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from .. import rules
from ..enqueue import enqueue_cluster_refresh
from ..models import ClusterRefresh, Flag, ReportState, Submission, SubmissionKind
from ..pipeline_reads import PEER_PATHS, peer_report
from ..writes import FlagWrites, reports_rescore
from .neighbours import cluster_lock


@dataclass(frozen=True)
class ClusterKey:
    organization_id: int
    election_id: int
    district_id: int
    # The incident time of the change (not part of the cluster's identity).
    occurred_at: dt.datetime | None = field(default=None, compare=False)

    def as_args(self) -> list[int]:
        return [self.organization_id, self.election_id, self.district_id]


def clusters_mark_pending(*, keys: list[ClusterKey], now: dt.datetime) -> list[ClusterKey]:
    """In the processing transaction, under the clusters' locks: the clusters
    `keys` need a refresh. Returns the clusters that had none pending: the
    caller hands them to `clusters_refresh_later` once it has committed."""
    if connection.vendor == "postgresql":
        return [key for key in keys if _mark_pending_upsert(key, now)]
    created = []
    for key in keys:
        identity = {"organization_id": key.organization_id, "election_id": key.election_id, "district_id": key.district_id}
        marker, new = ClusterRefresh.objects.get_or_create(
            **identity, defaults={"requested_at": now, "enqueued_at": now, "span_from": key.occurred_at, "span_to": key.occurred_at}
        )
        if new:
            created.append(key)
        elif not marker.span_from <= key.occurred_at <= marker.span_to:
            ClusterRefresh.objects.filter(pk=marker.pk).update(
                span_from=Least("span_from", Value(key.occurred_at)), span_to=Greatest("span_to", Value(key.occurred_at))
            )
    return created


# The pending row inserted, or its span widened to the change's time, in one
# statement; `xmax = 0` tells an inserted row from an updated one.
_MARK_PENDING_SQL = """
INSERT INTO reports_clusterrefresh AS c (organization_id, election_id, district_id, requested_at, enqueued_at, span_from, span_to)
VALUES (%(organization)s, %(election)s, %(district)s, %(now)s, %(now)s, %(at)s, %(at)s)
ON CONFLICT (organization_id, election_id, district_id) DO UPDATE
   SET span_from = LEAST(c.span_from, EXCLUDED.span_from), span_to = GREATEST(c.span_to, EXCLUDED.span_to)
RETURNING (xmax = 0)
"""


def _mark_pending_upsert(key: ClusterKey, now: dt.datetime) -> bool:
    """True if this inserted the cluster's pending row (its refresh must be enqueued)."""
    params = {
        "organization": key.organization_id,
        "election": key.election_id,
        "district": key.district_id,
        "now": now,
        "at": key.occurred_at,
    }
    with connection.cursor() as cursor:
        cursor.execute(_MARK_PENDING_SQL, params)
        return bool(cursor.fetchone()[0])


def clusters_refresh_later(keys: list[ClusterKey]) -> None:
    """After the marking transaction committed: one refresh per cluster,
    `CLUSTER_REFRESH_DEBOUNCE_SECONDS` later, so the arrivals meanwhile ride
    along. In the embedded mode (no broker, tasks run eagerly) at once."""
    for key in keys:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            cluster_refresh(key=key)
        else:
            enqueue_cluster_refresh(key.as_args(), countdown=settings.PIPELINE.cluster_refresh_debounce_seconds)


@dataclass(frozen=True)
class RefreshOutcome:
    members: int
    changed: int
    refreshed: bool


def cluster_refresh(*, key: ClusterKey) -> RefreshOutcome:
    """Recompute the cluster flags of every member of the cluster `key`, if a
    refresh is pending (else nothing: another run did it). Call it outside any
    transaction that holds report locks."""
    with transaction.atomic():
        cluster_lock(key.organization_id, key.district_id)
        marker = (
            ClusterRefresh.objects.select_for_update()
            .filter(organization_id=key.organization_id, election_id=key.election_id, district_id=key.district_id)
            .first()
        )
        if marker is None:
            return RefreshOutcome(members=0, changed=0, refreshed=False)
        now = timezone.now()
        # The members whose flags the changes can touch are within one
        # neighbourhood of their times; their peers, within two.
        reach = dt.timedelta(seconds=settings.PIPELINE.neighbourhood_seconds)
        rows = list(
            Submission.objects.select_for_update(of=("self",))
            .filter(
                organization_id=key.organization_id,
                election_id=key.election_id,
                station__district_id=key.district_id,
                kind=SubmissionKind.INCIDENT,
                state=ReportState.ACCEPTED,
                occurred_at__gte=marker.span_from - 2 * reach,
                occurred_at__lte=marker.span_to + 2 * reach,
            )
            .order_by("pk")
            .values(*PEER_PATHS.values(), "severity", "cluster_flags_pending")
        )
        members = [peer_report(row) for row in rows]
        withdrawn = _withdrawn_elsewhere([m.report_id for m in members])
        computed = rules.cluster_flags(members, settings.PIPELINE, withdrawn)
        touched = [row for row in rows if marker.span_from - reach <= row["occurred_at"] <= marker.span_to + reach]
        stored = _stored_cluster_flags([row["id"] for row in touched])
        writes, changed = FlagWrites(), {}
        for row in touched:
            if writes.plan(row["id"], computed[str(row["id"])], now, stored[row["id"]]):
                changed[row["id"]] = row["severity"]
        writes.apply()
        if changed:
            reports_rescore(severities=changed, now=now)
        pending = [row["id"] for row in rows if row["cluster_flags_pending"]]
        if pending:
            Submission.objects.filter(pk__in=pending).update(cluster_flags_pending=False)
        marker.delete()
    return RefreshOutcome(members=len(touched), changed=len(changed), refreshed=True)


def _withdrawn_elsewhere(member_ids: list[str]) -> set[str]:
    """Members amended by an accepted correction (at any station)."""
    if not member_ids:
        return set()
    amended = Submission.objects.filter(state=ReportState.ACCEPTED, amends_id__in=member_ids).values_list("amends_id", flat=True)
    return {str(pk) for pk in amended}


def _stored_cluster_flags(member_ids: list) -> dict:
    stored: dict = {pk: {} for pk in member_ids}
    if member_ids:
        for flag in Flag.objects.filter(report_id__in=member_ids, code__in=rules.CLUSTER_CODES).order_by():
            stored[flag.report_id][flag.code] = flag
    return stored


def clusters_sweep_stale(*, older_than_seconds: float | None = None, limit: int = 500) -> int:
    """Re-enqueue the refreshes of clusters still pending long after their last
    enqueue (a worker died mid-refresh, the broker lost the message). Returns
    how many were enqueued."""
    age = older_than_seconds if older_than_seconds is not None else settings.PIPELINE.sweep_after_seconds
    now = timezone.now()
    stale = list(
        ClusterRefresh.objects.filter(enqueued_at__lte=now - dt.timedelta(seconds=age))
        .order_by("enqueued_at")
        .values_list("pk", "organization_id", "election_id", "district_id")[:limit]
    )
    enqueued = 0
    for pk, organization_id, election_id, district_id in stale:
        key = ClusterKey(organization_id, election_id, district_id)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            cluster_refresh(key=key)
            enqueued += 1
        elif enqueue_cluster_refresh(key.as_args(), countdown=0):
            ClusterRefresh.objects.filter(pk=pk).update(enqueued_at=now)
            enqueued += 1
    return enqueued
