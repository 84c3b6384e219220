"""The report's neighbourhood: the cluster locks that serialize workers whose
reports could be each other's neighbours, and the refresh of the neighbours'
cross-report flags after a report changed state.

Cross-report flags (`impossible_travel`, `duplicate`, `hotspot`) relate a
report to accepted reports of the same district close in time and to the same
observer's submissions (`impossible_travel` counts every kind, check-ins too;
`duplicate` and `hotspot` incident reports only). Processing a report
therefore recomputes those flags on the neighbours too (recomputed, never
appended), so the final flags do not depend on the order in which workers
picked the reports up.

Locking, in this order and no other, so that concurrent workers never deadlock:
1. cluster locks (`clusters_lock`): PostgreSQL transaction-level advisory locks
   on the report's district and on its observer (and on those of the report it
   corrects, if any), in ascending key order. Two workers whose reports could
   be each other's neighbours share at least one of them, so they serialize and
   each sees the other's committed result;
2. the report's own row (`SELECT … FOR UPDATE`);
3. the neighbours' rows, in primary-key order (`neighbours_refresh`).
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
    """Take the advisory locks of the neighbourhoods of `places` ((district id,
    observer id) pairs). Released at commit or rollback."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key("district", d) for d, _ in places} | {_lock_key("observer", o) for _, o in places})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def neighbours_refresh(
    *, subject: rules.PeerReport, accepted: bool, centres: list[rules.PeerReport], pool: list[rules.PeerReport], now: dt.datetime
) -> None:
    """Recompute the cross-report flags that the subject's (new) state can
    change on other reports of `pool`: `hotspot` and `duplicate` on accepted
    reports of a centre's district close in time, `impossible_travel` on a
    centre's observer's reports; everything on the report the subject corrects.
    The caller holds the cluster locks of every centre."""
    todo = _neighbours_to_refresh(centres, pool)
    if not todo:
        return
    locked = _lock_neighbours(todo)
    everyone = [*pool, subject] if accepted else list(pool)
    stored = _stored_cross_flags(locked)
    writes, changed = FlagWrites(), {}
    for pk, severity in locked.items():
        peer, codes = todo[str(pk)]
        others = [p for p in everyone if p.report_id != peer.report_id]
        flags = rules.evaluate_cross(peer, others, settings.PIPELINE, codes)
        mine = {code: flag for code, flag in stored[pk].items() if code in codes}
        if writes.plan(pk, flags, now, mine):
            changed[pk] = severity
    if changed:
        writes.apply()
        reports_rescore(severities=changed, now=now)


def _neighbours_to_refresh(centres: list[rules.PeerReport], pool: list[rules.PeerReport]) -> dict:
    """{report id: (its peer fact, the cross-report codes to recompute)}."""
    reach = dt.timedelta(seconds=settings.PIPELINE.neighbourhood_seconds)
    corrected = {c.report_id for c in centres[1:]}
    todo = {}
    for peer in pool:
        codes = set(rules.CROSS_REPORT_CODES) if peer.report_id in corrected else set()
        for centre in centres:
            codes |= _codes_shared(peer, centre, reach)
        if codes:
            todo[peer.report_id] = (peer, tuple(c for c in rules.CROSS_REPORT_CODES if c in codes))
    return todo


def _codes_shared(peer: rules.PeerReport, centre: rules.PeerReport, reach: dt.timedelta) -> set[str]:
    codes = set()
    incidents = peer.kind == centre.kind == rules.INCIDENT and peer.organization_id == centre.organization_id
    if incidents and peer.district_id == centre.district_id and abs(peer.occurred_at - centre.occurred_at) <= reach:
        codes |= {"duplicate", "hotspot"}
    if peer.observer_id == centre.observer_id:
        codes.add("impossible_travel")
    return codes


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
    """{pk: {code: Flag}} of the locked reports' cross-report flags, in one read."""
    stored: dict = {pk: {} for pk in locked}
    for flag in Flag.objects.filter(report_id__in=list(locked), code__in=rules.CROSS_REPORT_CODES).order_by():
        stored[flag.report_id][flag.code] = flag
    return stored
