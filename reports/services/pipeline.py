"""The pipeline: validate → geotag → flag, one submission at a time (of any
kind: the same stages, with the rule set of its kind), idempotent and safe
under concurrency. Two entry points:

- `report_process`: the worker's run of a report that intake (or the sweeper)
  enqueued. It first claims the report with a committed conditional UPDATE
  that counts attempts, so a report that keeps crashing workers ends `failed`
  instead of looping; a finished report is left alone.
- `report_reprocess`: a coordinator's re-run of a finished (or failed) report
  after reference data was corrected, recorded as a `reprocessed` event.

The pure stages (`reports.validation`, `reports.geotag`, `reports.rules`)
decide; `reports.pipeline_reads` gathers their facts; this module stores the
results; `neighbours` recomputes the cross-report flags the change touches on
other reports (its doc gives the locking order both entry points follow).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .. import rules, validation
from ..enqueue import enqueue_report_alerts
from ..geotag import GeotagResult
from ..models import Flag, ReportEvent, ReportState, Severity, Submission, TriageStatus
from ..permissions import may_triage
from ..pipeline_reads import (
    ResolvedPlace,
    corrected_report,
    has_cluster_neighbours,
    peer_pool,
    peer_report,
    place_resolve,
    report_location,
    rule_facts,
    side_facts,
    validation_facts,
)
from ..writes import event_record, flags_store_scored, report_give_up, triage_status_set
from .bulk import BulkOutcome, each_report
from .clusters import ClusterKey, clusters_mark_pending, clusters_refresh_later
from .neighbours import clusters_lock, neighbours_refresh

DONE_STATES = (ReportState.ACCEPTED, ReportState.REJECTED, ReportState.FAILED)

REPORT_PIPELINE_FIELDS = [
    "state",
    "rejection_reasons",
    "processed_at",
    "last_error",
    "risk_score",
    "location_source",
    "location_latitude",
    "location_longitude",
    "geo_region",
    "geo_district",
    "geo_settlement",
    "geo_admin_area",
    "settlement_distance_m",
    "nearest_station",
    "nearest_station_distance_m",
    "claimed_station_distance_m",
    "cluster_flags_pending",
    "updated_at",
]


@dataclass(frozen=True)
class ProcessOutcome:
    report_id: str
    state: str
    changed: bool


def report_process(*, report_id) -> ProcessOutcome:
    """The worker's run: validate → geotag → flag, store the result, then
    recompute the cross-report flags of the report's neighbours.

    Idempotent: the same inputs give the same state, geotag and flags, and no
    duplicate rows or events. Two workers on the same report serialize on the
    locks; the second sees the work done and returns. Call it outside any
    transaction that already holds report locks (it takes locks in a fixed order).
    """
    own = _claim(report_id)
    if own is None:
        state = Submission.objects.filter(pk=report_id).values_list("state", flat=True).first()
        return ProcessOutcome(str(report_id), state or "missing", changed=False)
    with transaction.atomic():
        report = _lock_report(report_id, own)
        if report is None:
            return ProcessOutcome(str(report_id), "missing", changed=False)
        if report.state in DONE_STATES:
            return ProcessOutcome(str(report.pk), report.state, changed=False)
        run = _run_stages(report)
        if run.previous_state != report.state:
            event_record(
                report, actor=None, at=run.at, action=ReportEvent.Action.PROCESSED, from_value=run.previous_state, to_value=report.state
            )
        refresh = _after_stages(report, run)
    clusters_refresh_later(refresh)
    return ProcessOutcome(str(report.pk), report.state, changed=True)


def report_reprocess(*, report_id, actor) -> ProcessOutcome:
    """A coordinator's re-run, whatever the report's state: a `reprocessed`
    event records the actor and how the flags changed; flag decisions survive.
    Raises PermissionDenied unless the actor may triage the report. Call it
    outside any transaction that already holds report locks."""
    report = Submission.objects.filter(pk=report_id).only("pk", "organization_id").first()
    if report is None:
        raise Submission.DoesNotExist(report_id)
    if not may_triage(user=actor, report=report):
        raise PermissionDenied("You may not re-run the pipeline for this report.")
    with transaction.atomic():
        report = _lock_report(report_id)
        if report is None:
            return ProcessOutcome(str(report_id), "missing", changed=False)
        previous_flags = dict(Flag.objects.filter(report=report).values_list("code", "state"))
        run = _run_stages(report)
        event_record(
            report,
            actor=actor,
            at=run.at,
            action=ReportEvent.Action.REPROCESSED,
            from_value=run.previous_state,
            to_value=report.state,
            note=_flag_change_note(previous_flags, {f.code for f in run.flags}, keep=run.cluster_codes_kept),
        )
        refresh = _after_stages(report, run)
    clusters_refresh_later(refresh)
    return ProcessOutcome(str(report.pk), report.state, changed=True)


def reports_reprocess(*, report_ids: Iterable, actor) -> BulkOutcome:
    def apply(report_id, expected):
        report_reprocess(report_id=report_id, actor=actor)
        return True

    return each_report(report_ids, apply)


def report_mark_error(*, report_id, error: str) -> None:
    """Remember the last error (shown to coordinators; no personal data)."""
    Submission.objects.filter(pk=report_id).update(last_error=error[:500])


# --- Claiming and locking ---


_OWN_FIELDS = ("organization_id", "station__district_id", "submitted_by_id")


def _claim(report_id) -> tuple | None:
    """Mark the report as being processed (a committed, conditional UPDATE, so
    attempts survive a killed worker), returning its place (organization,
    district, observer, the report it amends) for the locks; None if there is
    nothing to claim. On PostgreSQL one statement (`UPDATE … RETURNING`)."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _CLAIM_SQL, [timezone.now(), report_id, ReportState.RECEIVED, ReportState.PROCESSING, settings.PIPELINE.max_attempts]
            )
            own = cursor.fetchone()
    else:
        with transaction.atomic():
            claimed = Submission.objects.filter(
                pk=report_id,
                state__in=[ReportState.RECEIVED, ReportState.PROCESSING],
                processing_attempts__lt=settings.PIPELINE.max_attempts,
            ).update(state=ReportState.PROCESSING, processing_started_at=timezone.now(), processing_attempts=F("processing_attempts") + 1)
        own = Submission.objects.filter(pk=report_id).values_list(*_OWN_FIELDS, "amends_id").first() if claimed else None
    if own is not None:
        return tuple(own)
    if report_give_up(report_id):
        enqueue_report_alerts(report_id)
    return None


# `_claim` on PostgreSQL: the ORM's conditional UPDATE and the read of the
# report's place, in one round trip.
_CLAIM_SQL = """
UPDATE reports_submission AS s
   SET state = 'processing', processing_started_at = %s, processing_attempts = s.processing_attempts + 1
  FROM monitoring_pollingstation AS st
 WHERE s.id = %s AND st.id = s.station_id AND s.state IN (%s, %s) AND s.processing_attempts < %s
RETURNING s.organization_id, st.district_id, s.submitted_by_id, s.amends_id
"""


def _lock_report(report_id, own: tuple | None = None) -> Submission | None:
    """The report, locked after the cluster locks of its neighbourhood and of
    the one of the report it corrects (a correction withdraws it from its own
    clusters). Submitted fields never change, so reading them first is safe
    (`own`: what `_claim` read of them)."""
    fields = _OWN_FIELDS
    if own is None:
        own = Submission.objects.filter(pk=report_id).values_list(*fields, "amends_id").first()
    if own is None:
        return None
    places = [own[:3]]
    if own[3] is not None:
        places += Submission.objects.filter(pk=own[3]).values_list(*fields)
    clusters_lock(places)
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("election", "station__district__region", "category", "submitted_by", "organization")
        .get(pk=report_id)
    )


# --- The stages ---


@dataclass(frozen=True)
class _Run:
    at: dt.datetime
    previous_state: str
    accepted: bool
    flags: list[rules.FlagResult]
    subject: rules.PeerReport
    centres: list[rules.PeerReport]  # the subject, then the report it corrects (if accepted)
    pool: list[rules.PeerReport]
    # Cluster flags (`duplicate`, `hotspot`) are the batched refresh's: an
    # accepted report keeps its stored ones until its cluster's refresh runs.
    cluster_codes_kept: tuple[str, ...]


def _run_stages(report: Submission) -> _Run:
    """Validate, geotag and flag the locked report, and store the result on it."""
    now = timezone.now()
    previous_state = report.state
    side = side_facts(report)  # accreditations, photos, regions, deployment: one read
    reasons = validation.validate(validation_facts(report, side))
    location = report_location(report, side.photos)
    place = place_resolve(report, location, side.regions)
    _store_geotag(report, location, place)
    accepted = not reasons
    subject = peer_report(report)
    centres = [subject, *corrected_report(report)]
    pool = peer_pool(report.election_id, centres)
    # Cluster flags are the batched refresh's (see `clusters`): an accepted
    # report with neighbours keeps its stored ones until its cluster's refresh
    # runs; one without neighbours raises none, so its cluster needs no refresh.
    clustered = accepted and subject.kind == rules.INCIDENT and has_cluster_neighbours(report.election_id, subject)
    kept = rules.CLUSTER_CODES if clustered else ()
    flags = (
        rules.evaluate(rule_facts(report, location, place, subject, pool, side.photos, side.deployed), skip=rules.CLUSTER_CODES)
        if accepted
        else []
    )

    report.state = ReportState.ACCEPTED if accepted else ReportState.REJECTED
    report.rejection_reasons = [r.as_json() for r in reasons]
    report.processed_at = now
    report.last_error = ""
    report.cluster_flags_pending = bool(kept)
    report.risk_score = flags_store_scored(report, flags, now, keep=kept)
    report.save(update_fields=REPORT_PIPELINE_FIELDS)
    return _Run(
        at=now,
        previous_state=previous_state,
        accepted=accepted,
        flags=flags,
        subject=subject,
        centres=centres,
        pool=pool,
        cluster_codes_kept=kept,
    )


def _after_stages(report: Submission, run: _Run) -> list[ClusterKey]:
    """A critical report goes straight to the escalated queue, and its
    coordinators are alerted once the result is committed (the alerts app
    keeps it to once per report, whatever re-runs); the neighbours' travel
    flags follow the report's new state, and its clusters (its own and that of
    the report it corrects) are marked for their batched refresh. Returns the
    clusters to hand to `clusters_refresh_later` after commit."""
    if any(f.code == "critical_category" for f in run.flags) and report.triage_status == TriageStatus.NEW:
        triage_status_set(report, TriageStatus.ESCALATED, actor=None, note="critical category: escalated automatically", at=run.at)
    if run.accepted and (
        (report.category is not None and report.category.critical) or any(f.severity == Severity.CRITICAL for f in run.flags)
    ):
        transaction.on_commit(lambda: enqueue_report_alerts(report.pk))
    neighbours_refresh(subject=run.subject, accepted=run.accepted, centres=run.centres, pool=run.pool, now=run.at)
    # Its own cluster if it has neighbours there (accepted now or before: a
    # rejection changes the neighbours too), and the corrected report's.
    incidents = [c for c in run.centres[1:] if c.kind == rules.INCIDENT]
    was_member = run.previous_state == ReportState.ACCEPTED
    if run.cluster_codes_kept or (
        was_member and run.subject.kind == rules.INCIDENT and has_cluster_neighbours(report.election_id, run.subject)
    ):
        incidents.append(run.subject)
    keys = [ClusterKey(c.organization_id, report.election_id, c.district_id, c.occurred_at) for c in incidents]
    return clusters_mark_pending(keys=keys, now=run.at)


def _store_geotag(report: Submission, location: GeotagResult, place: ResolvedPlace) -> None:
    report.location_source = location.source
    report.location_latitude = location.latitude
    report.location_longitude = location.longitude
    report.geo_settlement = location.settlement
    report.geo_admin_area = location.admin_area
    report.settlement_distance_m = location.settlement_distance_m
    report.claimed_station_distance_m = location.claimed_station_distance_m
    report.nearest_station_distance_m = location.nearest_station_distance_m
    report.nearest_station_id = location.nearest_station_id
    report.geo_district = place.district
    report.geo_region = place.region


def _flag_change_note(before: dict[str, str], after: set[str], keep: tuple[str, ...] = ()) -> str:
    """`before`: code → state of the stored flags; `after`: the codes raised now;
    `keep`: codes left to the cluster's refresh (unchanged here).
    Decided flags no longer raised are kept (see `writes.flags_store_scored`), and said so."""
    before = {code: state for code, state in before.items() if code not in keep}
    added = sorted(after - before.keys())
    removed = sorted(c for c in before.keys() - after if before[c] == Flag.State.OPEN)
    kept = sorted(f"{c} ({before[c]})" for c in before.keys() - after if before[c] != Flag.State.OPEN)
    if not added and not removed and not kept:
        return "flags unchanged"
    note = "flags: " + " ".join([f"+{c}" for c in added] + [f"-{c}" for c in removed])
    if kept:
        note += ("; " if added or removed else "") + "no longer raised, kept as decided: " + ", ".join(kept)
    return note
