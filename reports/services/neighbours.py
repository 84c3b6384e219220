"""The report's neighbourhood: the locks that serialize workers whose reports
could be each other's neighbours, and the refresh of the neighbours'
`impossible_travel` flags after a report changed state.

Cross-report flags relate a report to others: `impossible_travel` to the same
observer's submissions (every kind, check-ins too), recomputed here on every
arrival (an observer sends a handful); `duplicate` and `hotspot` to the
accepted incident reports of its organization's district (its cluster), which
can be many: those are recomputed once per cluster by the batched refresh
(`reports.services.clusters`), never per arrival.

Locking, in this order and no other, so that concurrent workers never deadlock:
1. advisory locks (`clusters_lock`): PostgreSQL transaction-level advisory locks
   on the report's cluster (organization and district) and on its observer (and
   on those of the report it corrects, if any), in ascending key order. Two
   workers whose reports could be each other's neighbours share at least one of
   them, so they serialize and each sees the other's committed result; a
   cluster's refresh takes its cluster's lock alone (`cluster_lock`);
2. the report's own row (`SELECT … FOR UPDATE`);
3. the neighbours' rows, in primary-key order (`neighbours_refresh`; the
   refresh locks its cluster's rows in the same order).
Triage writes lock a single report row and wait for nothing else, so they can
delay the pipeline but never deadlock with it. (On SQLite, the embedded mode,
write transactions are serialized anyway.)
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import connection

from .. import rules
from ..models import Flag, ReportState, Submission
from ..writes import FlagWrites, reports_rescore


def _lock_key(kind: str, pk) -> int:
    digest = hashlib.blake2b(f"reports.pipeline:{kind}:{pk}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def clusters_lock(places: list[tuple]) -> None:
    """Take the advisory locks of the neighbourhoods of `places` ((organization
    id, district id, observer id) triples). Released at commit or rollback."""
    _advisory_locks({_lock_key("cluster", f"{o}:{d}") for o, d, _ in places} | {_lock_key("observer", s) for _, _, s in places})


def cluster_lock(organization_id, district_id) -> None:
    """The lock of one cluster, for its batched refresh."""
    _advisory_locks({_lock_key("cluster", f"{organization_id}:{district_id}")})


def _advisory_locks(keys: set[int]) -> None:
    if connection.vendor != "postgresql":
        return
    ordered = sorted(keys)
    with connection.cursor() as cursor:
        if len(ordered) == 1:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", ordered)
        else:
            # One round trip; the ordinality keeps the ascending order the locking rule needs.
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(k, n) ORDER BY n) AS o",
                [ordered],
            )


TRAVEL = ("impossible_travel",)


def neighbours_refresh(
    *, subject: rules.PeerReport, accepted: bool, centres: list[rules.PeerReport], pool: list[rules.PeerReport], now: dt.datetime
) -> None:
    """Recompute `impossible_travel` on the reports of `pool` that the
    subject's (new) state can change: the centres' observers' submissions.
    The caller holds the advisory locks of every centre."""
    observers = {c.observer_id for c in centres}
    todo = {peer.report_id: peer for peer in pool if peer.observer_id in observers}
    if not todo:
        return
    locked = _lock_neighbours(todo)
    everyone = [*pool, subject] if accepted else list(pool)
    stored = _stored_cross_flags(locked)
    writes, changed = FlagWrites(), {}
    for pk, severity in locked.items():
        peer = todo[str(pk)]
        others = [p for p in everyone if p.report_id != peer.report_id]
        flags = rules.evaluate_cross(peer, others, settings.PIPELINE, TRAVEL)
        if writes.plan(pk, flags, now, stored[pk]):
            changed[pk] = severity
    if changed:
        writes.apply()
        reports_rescore(severities=changed, now=now)


def _lock_neighbours(todo: dict) -> dict:
    """{pk: severity} of the neighbours still accepted, locked in primary-key
    order. Anyone else changing their state holds one of our cluster locks, so
    they stay accepted until we commit."""
    return dict(
        Submission.objects.select_for_update(of=("self",))
        .filter(pk__in=list(todo), state=ReportState.ACCEPTED)
        .order_by("pk")
        .values_list("pk", "severity")
    )


def _stored_cross_flags(locked: dict) -> dict:
    """{pk: {code: Flag}} of the locked reports' `impossible_travel` flags, in one read."""
    stored: dict = {pk: {} for pk in locked}
    for flag in Flag.objects.filter(report_id__in=list(locked), code__in=TRAVEL).order_by():
        stored[flag.report_id][flag.code] = flag
    return stored
