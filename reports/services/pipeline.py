"""The pipeline: validate → geotag → flag, one report at a time, idempotent and
safe under concurrency; and the sweeper that re-enqueues what the broker lost.

The pure stages (`reports.validation`, `reports.geotag`, `reports.rules`) decide;
this module gathers their facts from the database and stores their results.

Cross-report flags (`impossible_travel`, `duplicate`, `hotspot`) relate a
report to its neighbours: accepted reports of the same district close in time,
and the same observer's reports. Processing a report therefore recomputes those
flags on the neighbours too (recomputed, never appended), so the final flags do
not depend on the order in which workers picked the reports up.

Locking, in this order and no other, so that concurrent workers never deadlock:
1. cluster locks: PostgreSQL transaction-level advisory locks on the report's
   district and on its observer (and on those of the report it corrects, if
   any), in ascending key order. Two workers whose
   reports could be each other's neighbours share at least one of them, so they
   serialize and each sees the other's committed result;
2. the report's own row (`SELECT … FOR UPDATE`);
3. the neighbours' rows, in primary-key order.
Triage writes lock a single report row and wait for nothing else, so they can
delay the pipeline but never deadlock with it. (On SQLite, the embedded mode,
write transactions are serialized anyway.)
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from monitoring.gazetteer import gazetteer
from monitoring.models import Accreditation, District, PollingStation, Region
from monitoring.selectors import is_deployed_at
from monitoring.spatial import station_index

from .. import rules, validation
from ..geotag import GeotagResult, Point, geotag
from ..models import Flag, IncidentReport, ReportEvent, ReportState, TriageStatus
from ..selectors import report_risk_score, risk_scores
from .intake import enqueue_processing
from .triage import set_triage_status

logger = logging.getLogger(__name__)

DONE_STATES = (ReportState.ACCEPTED, ReportState.REJECTED, ReportState.FAILED)


@dataclass(frozen=True)
class ProcessOutcome:
    report_id: str
    state: str
    changed: bool


# --- Claiming and giving up ---


def _claim(report_id) -> bool:
    """Mark the report as being processed (a committed, conditional UPDATE, so
    attempts survive a killed worker). False if there is nothing to claim."""
    max_attempts = settings.PIPELINE.max_attempts
    with transaction.atomic():
        claimed = IncidentReport.objects.filter(
            pk=report_id, state__in=[ReportState.RECEIVED, ReportState.PROCESSING], processing_attempts__lt=max_attempts
        ).update(state=ReportState.PROCESSING, processing_started_at=timezone.now(), processing_attempts=F("processing_attempts") + 1)
    if claimed:
        return True
    _give_up(report_id)
    return False


def _give_up(report_id) -> bool:
    """Out of attempts: stop looping and put the report in front of a
    coordinator (state `failed`, a `pipeline_failed` event). True if it did."""
    now = timezone.now()
    with transaction.atomic():
        stuck = (
            IncidentReport.objects.select_for_update(of=("self",))
            .filter(
                pk=report_id,
                state__in=[ReportState.RECEIVED, ReportState.PROCESSING],
                processing_attempts__gte=settings.PIPELINE.max_attempts,
            )
            .first()
        )
        if stuck is None:
            return False
        previous = stuck.state
        stuck.state = ReportState.FAILED
        stuck.processed_at = now
        stuck.save(update_fields=["state", "processed_at", "updated_at"])
        ReportEvent.objects.create(
            report=stuck,
            at=now,
            action=ReportEvent.Action.PIPELINE_FAILED,
            from_value=previous,
            to_value=ReportState.FAILED,
            note=f"gave up after {stuck.processing_attempts} attempts: {stuck.last_error or 'no error recorded'}"[:2000],
        )
    logger.warning("report %s marked failed after %s attempts", report_id, settings.PIPELINE.max_attempts)
    return True


# --- Cluster locks ---


def _lock_key(kind: str, pk) -> int:
    digest = hashlib.blake2b(f"reports.pipeline:{kind}:{pk}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_clusters(places: list[tuple]) -> None:
    """Take the advisory locks of the neighbourhoods of `places` ((district id,
    observer id) pairs; see the module doc). Released at commit or rollback."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key("district", d) for d, _ in places} | {_lock_key("observer", o) for _, o in places})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --- The pipeline ---


def report_process(*, report_id, force: bool = False, actor=None) -> ProcessOutcome:
    """Run validate → geotag → flag for one report and store the result; then
    recompute the cross-report flags of its neighbours.

    Idempotent: the same inputs give the same state, geotag and flags, and no
    duplicate rows or events. Two workers on the same report serialize on the
    locks; the second sees the work done and returns. `force` re-runs a finished
    (or failed) report, e.g. after a coordinator corrected reference data, and
    records a `reprocessed` event with `actor`. Call it outside any transaction
    that already holds report locks (it takes locks in a fixed order).
    """
    if not force and not _claim(report_id):
        state = IncidentReport.objects.filter(pk=report_id).values_list("state", flat=True).first()
        return ProcessOutcome(str(report_id), state or "missing", changed=False)

    with transaction.atomic():
        # The report's neighbourhood, and the one of the report it corrects (a
        # correction withdraws it from its own clusters). Submitted fields never
        # change, so reading them before locking is safe.
        own = IncidentReport.objects.filter(pk=report_id).values_list("station__district_id", "submitted_by_id", "amends_id").first()
        if own is None:
            return ProcessOutcome(str(report_id), "missing", changed=False)
        places = [own[:2]]
        if own[2] is not None:
            places += IncidentReport.objects.filter(pk=own[2]).values_list("station__district_id", "submitted_by_id")
        _lock_clusters(places)
        report = (
            IncidentReport.objects.select_for_update(of=("self",))
            .select_related("election", "station__district__region", "category", "submitted_by", "organization")
            .get(pk=report_id)
        )
        if report.state in DONE_STATES and not force:
            return ProcessOutcome(str(report.pk), report.state, changed=False)
        now = timezone.now()
        previous_state = report.state
        previous_flags = dict(Flag.objects.filter(report=report).values_list("code", "state"))

        reasons = validation.validate(_validation_facts(report))
        location = _geotag(report)
        regions = _apply_geotag(report, location)
        accepted = not reasons
        subject = _peer_from_report(report)
        centres = [subject, *_corrected_report(report)]
        pool = _peer_pool(report.election_id, centres)
        flags = rules.evaluate(_rule_facts(report, location, regions, pool)) if accepted else []

        report.state = ReportState.ACCEPTED if accepted else ReportState.REJECTED
        report.rejection_reasons = [r.as_json() for r in reasons]
        report.processed_at = now
        report.last_error = ""
        _store_flags(report.pk, flags, now)
        report.risk_score = report_risk_score(report)
        report.save(update_fields=REPORT_PIPELINE_FIELDS)

        if force:
            ReportEvent.objects.create(
                report=report,
                actor=actor,
                at=now,
                action=ReportEvent.Action.REPROCESSED,
                from_value=previous_state,
                to_value=report.state,
                note=_flag_change_note(previous_flags, {f.code for f in flags}),
            )
        elif previous_state != report.state:
            ReportEvent.objects.create(
                report=report, at=now, action=ReportEvent.Action.PROCESSED, from_value=previous_state, to_value=report.state
            )
        if any(f.code == "critical_category" for f in flags) and report.triage_status == TriageStatus.NEW:
            set_triage_status(report, TriageStatus.ESCALATED, actor=None, note="critical category: escalated automatically", at=now)

        _refresh_neighbours(subject=subject, accepted=accepted, centres=centres, pool=pool, now=now)
    return ProcessOutcome(str(report.pk), report.state, changed=True)


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
    "updated_at",
]


def report_mark_error(*, report_id, error: str) -> None:
    """Remember the last error (shown to coordinators; no personal data)."""
    IncidentReport.objects.filter(pk=report_id).update(last_error=error[:500])


def _flag_change_note(before: dict[str, str], after: set[str]) -> str:
    """`before`: code → state of the stored flags; `after`: the codes raised now.
    Decided flags no longer raised are kept (see `_store_flags`), and said so."""
    added = sorted(after - before.keys())
    removed = sorted(c for c in before.keys() - after if before[c] == Flag.State.OPEN)
    kept = sorted(f"{c} ({before[c]})" for c in before.keys() - after if before[c] != Flag.State.OPEN)
    if not added and not removed and not kept:
        return "flags unchanged"
    note = "flags: " + " ".join([f"+{c}" for c in added] + [f"-{c}" for c in removed])
    if kept:
        note += ("; " if added or removed else "") + "no longer raised, kept as decided: " + ", ".join(kept)
    return note


# --- Facts ---


def _validation_facts(report: IncidentReport) -> validation.ValidationFacts:
    accreditations = tuple(
        validation.AccreditationFacts(status=a.status, valid_from=a.valid_from, valid_until=a.valid_until, revoked_at=a.revoked_at)
        for a in Accreditation.objects.filter(organization_id=report.organization_id, election_id=report.election_id).order_by("pk")
    )
    election = report.election
    return validation.ValidationFacts(
        occurred_at=report.occurred_at,
        received_at=report.received_at,
        election_code=election.code,
        election_status=election.status,
        observation_starts_at=election.observation_starts_at,
        observation_ends_at=election.observation_ends_at,
        station_code=report.station.code,
        station_in_election=report.station.election_id == report.election_id,
        accreditations=accreditations,
        clock_skew_seconds=settings.PIPELINE.clock_skew_seconds,
    )


def _photos(report: IncidentReport) -> list[rules.PhotoFacts]:
    return [
        rules.PhotoFacts(number=position + 1, latitude=lat, longitude=lon, taken_at=taken)
        for position, lat, lon, taken in report.attachments.order_by("position", "pk").values_list(
            "position", "exif_latitude", "exif_longitude", "exif_taken_at"
        )
    ]


def _geotag(report: IncidentReport) -> GeotagResult:
    device = Point(report.latitude, report.longitude) if report.latitude is not None else None
    photo_fix = (
        report.attachments.filter(exif_latitude__isnull=False, exif_longitude__isnull=False)
        .order_by("position", "pk")
        .values_list("exif_latitude", "exif_longitude")
        .first()
    )
    photo = Point(*photo_fix) if photo_fix else None
    station = report.station
    return geotag(
        device=device,
        photo=photo,
        station=Point(station.latitude, station.longitude),
        station_index=station_index(report.election),
        gazetteer=gazetteer(),
    )


@dataclass(frozen=True)
class ResolvedRegions:
    gps_region: Region | None  # the registry's: region of the nearest station's district
    admin_region: Region | None  # the gazetteer's first-level division, mapped to a region


def _apply_geotag(report: IncidentReport, location: GeotagResult) -> ResolvedRegions:
    """Store the geotag. Region and district come from the station registry (the
    nearest station's); settlement and first-level area from the gazetteer."""
    report.location_source = location.source
    report.location_latitude = location.latitude
    report.location_longitude = location.longitude
    report.geo_settlement = location.settlement
    report.geo_admin_area = location.admin_area
    report.settlement_distance_m = location.settlement_distance_m
    report.claimed_station_distance_m = location.claimed_station_distance_m
    report.nearest_station_distance_m = location.nearest_station_distance_m
    report.nearest_station_id = location.nearest_station_id
    admin_region = _region_for_admin1(location.admin1) if location.admin1 else None
    if location.source == "station":
        report.geo_district = report.station.district
        report.geo_region = report.station.district.region
        return ResolvedRegions(gps_region=None, admin_region=admin_region)
    district = (
        District.objects.select_related("region").filter(pk=location.nearest_station_district_id).first()
        if location.nearest_station_district_id
        else None
    )
    report.geo_district = district
    report.geo_region = district.region if district else admin_region
    return ResolvedRegions(gps_region=district.region if district else None, admin_region=admin_region)


def _region_for_admin1(admin1: str) -> Region | None:
    for region in Region.objects.order_by("code"):
        if admin1 in (region.geonames_admin1 or []):
            return region
    return None


PEER_FIELDS = (
    "id",
    "submitted_by_id",
    "organization_id",
    "station_id",
    "station__code",
    "station__latitude",
    "station__longitude",
    "station__district_id",
    "station__district__name_en",
    "station__district__region__timezone",
    "category__code",
    "occurred_at",
    "description",
    "amends_id",
)


def _peer(row: dict) -> rules.PeerReport:
    return rules.PeerReport(
        report_id=str(row["id"]),
        observer_id=row["submitted_by_id"],
        organization_id=row["organization_id"],
        station_id=row["station_id"],
        station_code=row["station__code"],
        station_latitude=row["station__latitude"],
        station_longitude=row["station__longitude"],
        district_id=row["station__district_id"],
        district_name=row["station__district__name_en"],
        timezone=row["station__district__region__timezone"],
        category_code=row["category__code"],
        occurred_at=row["occurred_at"],
        description=row["description"],
        amends_id=str(row["amends_id"]) if row["amends_id"] else None,
    )


def _peer_from_report(report: IncidentReport) -> rules.PeerReport:
    station = report.station
    return rules.PeerReport(
        report_id=str(report.pk),
        observer_id=report.submitted_by_id,
        organization_id=report.organization_id,
        station_id=station.pk,
        station_code=station.code,
        station_latitude=station.latitude,
        station_longitude=station.longitude,
        district_id=station.district_id,
        district_name=station.district.name_en,
        timezone=station.district.region.timezone,
        category_code=report.category.code,
        occurred_at=report.occurred_at,
        description=report.description,
        amends_id=str(report.amends_id) if report.amends_id else None,
    )


def _corrected_report(report: IncidentReport) -> list[rules.PeerReport]:
    """The accepted report this one amends, if any."""
    if not report.amends_id:
        return []
    rows = IncidentReport.objects.filter(pk=report.amends_id, state=ReportState.ACCEPTED).values(*PEER_FIELDS)
    return [_peer(row) for row in rows]


def _peer_pool(election_id, centres: list[rules.PeerReport]) -> list[rules.PeerReport]:
    """Accepted reports (other than the first centre, the report being
    processed) that cross-report rules may relate to a centre or to one of its
    neighbours: the same district within twice the longest window (a
    neighbour's own window reaches that far), and every report of the same
    observer in the election."""
    reach = dt.timedelta(seconds=2 * settings.PIPELINE.neighbourhood_seconds)
    # By station, not through the district join: (station, occurred_at) and
    # (submitted_by, occurred_at) are indexed, so this stays a few index range
    # scans however many reports the election holds.
    stations: dict = {}
    for district_id, station_id in PollingStation.objects.filter(
        election_id=election_id, district_id__in={c.district_id for c in centres}
    ).values_list("district_id", "pk"):
        stations.setdefault(district_id, []).append(station_id)
    near = Q(pk__in=[])
    for c in centres:
        near |= Q(
            station_id__in=stations.get(c.district_id, []), occurred_at__gte=c.occurred_at - reach, occurred_at__lte=c.occurred_at + reach
        )
        near |= Q(submitted_by_id=c.observer_id)
    rows = (
        IncidentReport.objects.filter(election_id=election_id, state=ReportState.ACCEPTED)
        .filter(near)
        .exclude(pk=centres[0].report_id)
        .order_by("occurred_at", "pk")
        .values(*PEER_FIELDS)
    )
    return [_peer(row) for row in rows]


def _rule_facts(report: IncidentReport, location: GeotagResult, regions: ResolvedRegions, pool) -> rules.RuleFacts:
    election = report.election
    region = report.station.district.region
    return rules.RuleFacts(
        report=_peer_from_report(report),
        station_region_code=region.code,
        station_region_name=region.name_en,
        category_name_en=report.category.name_en,
        category_phase=report.category.phase,
        category_critical=report.category.critical,
        received_at=report.received_at,
        voting_day=election.voting_day,
        polls_open=election.polls_open,
        polls_close=election.polls_close,
        location_source=location.source,
        latitude=location.latitude,
        longitude=location.longitude,
        accuracy_m=report.accuracy_m if location.source == "device_gps" else None,
        claimed_station_distance_m=location.claimed_station_distance_m,
        gps_region_code=regions.gps_region.code if regions.gps_region else None,
        gps_region_name=regions.gps_region.name_en if regions.gps_region else "",
        admin_region_code=regions.admin_region.code if regions.admin_region else None,
        settlement=location.settlement,
        deployed=is_deployed_at(observer_id=report.submitted_by_id, station=report.station),
        thresholds=settings.PIPELINE,
        photos=tuple(_photos(report)),
        peers=tuple(pool),
    )


# --- Storing flags ---


def _store_flags(report_id, flags: list[rules.FlagResult], now: dt.datetime) -> bool:
    """Make the report's flags exactly `flags`: update in place (keeping a coordinator's confirm/clear decision,
    note, decider and time, and the first `raised_at`), add new ones, drop the
    open ones no longer raised. Writes only what differs, so a re-run changes
    nothing. New rows are upserted on the (report, code) constraint, so a
    racing writer can never create a duplicate. Returns whether anything
    changed. (The neighbours' refresh plans many reports' writes with
    _FlagWrites and sends them together.)

    A flag a coordinator confirmed or cleared stays even when the rules no
    longer raise it (corrected reference data, a shrunken cluster, a rejection):
    the decision is a person's finding about this report, recorded with a note
    in the audit trail, and the flag's explanation is what they decided on.
    Deleting it would erase that silently (a confirmed one keeps counting in the
    risk score). Reopening it hands it back to the rules."""
    existing = {f.code: f for f in Flag.objects.filter(report_id=report_id)}
    writes = _FlagWrites()
    changed = writes.plan(report_id, flags, now, existing)
    writes.apply()
    return changed


@dataclass
class _FlagWrites:
    """Flag writes gathered over many reports and sent in three statements: a
    report in a busy district refreshes dozens of neighbours' flags."""

    stale: list = field(default_factory=list)  # ids of open flags no longer raised
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def plan(self, report_id, flags: list[rules.FlagResult], now: dt.datetime, existing: dict) -> bool:
        """What makes the report's flags among `existing`'s codes exactly
        `flags` (see _store_flags); True if anything would change."""
        wanted = {f.code: f for f in flags}
        stale = [flag.pk for code, flag in existing.items() if code not in wanted and flag.state == Flag.State.OPEN]
        self.stale.extend(stale)
        changed = bool(stale)
        for code, result in wanted.items():
            explanation = result.explanation("en")
            flag = existing.get(code)
            if flag is None:
                self.new.append(
                    Flag(
                        report_id=report_id,
                        code=code,
                        severity=result.severity,
                        explanation=explanation,
                        params=result.params,
                        raised_at=now,
                    )
                )
                changed = True
            elif (flag.severity, flag.explanation, flag.params) != (result.severity, explanation, result.params):
                flag.severity, flag.explanation, flag.params, flag.updated_at = result.severity, explanation, result.params, now
                self.changed.append(flag)
                changed = True
        return changed

    def apply(self) -> None:
        if self.stale:
            Flag.objects.filter(pk__in=self.stale, state=Flag.State.OPEN).delete()
        if self.changed:
            Flag.objects.bulk_update(self.changed, ["severity", "explanation", "params", "updated_at"])
        if self.new:
            # Upserted on (report, code), so a racing writer can never create a duplicate.
            Flag.objects.bulk_create(
                self.new,
                update_conflicts=True,
                unique_fields=["report", "code"],
                update_fields=["severity", "explanation", "params", "updated_at"],
            )


def _refresh_neighbours(
    *, subject: rules.PeerReport, accepted: bool, centres: list[rules.PeerReport], pool: list[rules.PeerReport], now: dt.datetime
) -> None:
    """Recompute the cross-report flags that the subject's (new) state can
    change on other reports: `hotspot` and `duplicate` on accepted reports of a
    centre's district close in time, `impossible_travel` on a centre's
    observer's reports; everything on the report the subject corrects."""
    reach = dt.timedelta(seconds=settings.PIPELINE.neighbourhood_seconds)
    todo: dict[str, tuple[rules.PeerReport, tuple[str, ...]]] = {}
    corrected = {c.report_id for c in centres[1:]}
    for peer in pool:
        codes = set(rules.CROSS_REPORT_CODES) if peer.report_id in corrected else set()
        for centre in centres:
            if peer.district_id == centre.district_id and abs(peer.occurred_at - centre.occurred_at) <= reach:
                codes |= {"duplicate", "hotspot"}
            if peer.observer_id == centre.observer_id:
                codes.add("impossible_travel")
        if codes:
            todo[peer.report_id] = (peer, tuple(c for c in rules.CROSS_REPORT_CODES if c in codes))
    if not todo:
        return
    # Lock the neighbours in primary-key order; anyone else changing their state
    # holds one of our cluster locks, so they are still accepted.
    locked = dict(
        IncidentReport.objects.select_for_update(of=("self",))
        .filter(pk__in=list(todo), state=ReportState.ACCEPTED)
        .order_by("pk")
        .values_list("pk", "severity")
    )
    everyone = [*pool, subject] if accepted else list(pool)
    stored: dict = {pk: {} for pk in locked}
    for flag in Flag.objects.filter(report_id__in=list(locked), code__in=rules.CROSS_REPORT_CODES).order_by():
        stored[flag.report_id][flag.code] = flag
    changed, writes = {}, _FlagWrites()
    for pk, severity in locked.items():
        peer, codes = todo[str(pk)]
        others = [p for p in everyone if p.report_id != peer.report_id]
        flags = rules.evaluate_cross(peer, others, settings.PIPELINE, codes)
        mine = {code: flag for code, flag in stored[pk].items() if code in codes}
        if writes.plan(pk, flags, now, mine):
            changed[pk] = severity
    if not changed:
        return
    writes.apply()
    current = dict(IncidentReport.objects.filter(pk__in=list(changed)).values_list("pk", "risk_score"))
    rescored = [
        IncidentReport(pk=pk, risk_score=score, updated_at=now)
        for pk, score in risk_scores(severities=changed).items()
        if current.get(pk) != score
    ]
    if rescored:
        IncidentReport.objects.bulk_update(rescored, ["risk_score", "updated_at"])


# --- Sweeper ---


def reports_sweep_stuck(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-enqueue reports stuck in received/processing (the broker was down at
    submission, or a worker died), and mark the ones that ran out of attempts
    `failed` for a coordinator instead of enqueueing them forever. Returns how
    many were enqueued."""
    age = older_than_seconds if older_than_seconds is not None else settings.PIPELINE.sweep_after_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=age)
    stuck = list(
        IncidentReport.objects.filter(state__in=[ReportState.RECEIVED, ReportState.PROCESSING], received_at__lt=cutoff)
        .exclude(state=ReportState.PROCESSING, processing_started_at__gte=cutoff)
        .order_by("received_at")
        .values_list("pk", "processing_attempts")[:limit]
    )
    enqueued = 0
    for report_id, attempts in stuck:
        if attempts >= settings.PIPELINE.max_attempts:
            _give_up(report_id)
        elif enqueue_processing(report_id):
            enqueued += 1
    return enqueued
