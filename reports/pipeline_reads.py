"""The pipeline's reads: from the database to the plain facts that the pure
stages (`validation`, `geotag`, `rules`) decide on. Nothing here writes, and
nothing is scoped to a user: the pipeline sees every submission of the
election, of every kind.

The neighbourhood of a submission, for `impossible_travel`: everything the
same observer sent (`peer_pool`); each as the rules see it (`peer_report`).
(The cluster flags read their whole cluster in `reports.services.clusters`.)
"""

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min

from monitoring.gazetteer import gazetteer
from monitoring.models import Accreditation, District, PollingStation, Region
from monitoring.selectors import is_deployed_at
from monitoring.spatial import station_index

from . import rules, validation
from .geotag import GeotagResult, Point, geotag
from .models import ClusterRefresh, ReportState, Submission, SubmissionKind

# What a checklist says lives in the checklists app, which builds on this one:
# it registers its reader at start-up (`ChecklistsConfig.ready`), so reports
# never imports it. Without one, a checklist runs the location rules alone.
_CHECKLIST_FACTS: list[Callable[[Submission], "rules.ChecklistFacts | None"]] = []


def checklist_facts_register(reader: Callable[[Submission], "rules.ChecklistFacts | None"]) -> None:
    _CHECKLIST_FACTS[:] = [reader]


def _checklist_facts(report: Submission) -> rules.ChecklistFacts | None:
    if report.kind != SubmissionKind.CHECKLIST or not _CHECKLIST_FACTS:
        return None
    return _CHECKLIST_FACTS[0](report)


# PeerReport field → path from Submission: read with `values()` for other
# submissions, followed through attributes on one already loaded.
PEER_PATHS = {
    "report_id": "id",
    "observer_id": "submitted_by_id",
    "organization_id": "organization_id",
    "station_id": "station_id",
    "station_code": "station__code",
    "station_latitude": "station__latitude",
    "station_longitude": "station__longitude",
    "district_id": "station__district_id",
    "district_name": "station__district__name_en",
    "timezone": "station__district__region__timezone",
    "category_code": "category__code",
    "occurred_at": "occurred_at",
    "description": "description",
    "amends_id": "amends_id",
    "kind": "kind",
}


def _follow(submission: Submission, path: str):
    value = submission
    for name in path.split("__"):
        value = getattr(value, name)
        if value is None:  # a check-in has no category
            return None
    return value


def peer_report(source: Mapping | Submission) -> rules.PeerReport:
    """A submission as the cross-report rules see it: from a row of
    `values(*PEER_PATHS.values())`, or from one loaded with its station,
    district, region and category."""
    if isinstance(source, Mapping):
        values = {name: source[path] for name, path in PEER_PATHS.items()}
    else:
        values = {name: _follow(source, path) for name, path in PEER_PATHS.items()}
    values["report_id"] = str(values["report_id"])
    values["amends_id"] = str(values["amends_id"]) if values["amends_id"] else None
    return rules.PeerReport(**values)


def corrected_report(report: Submission) -> list[rules.PeerReport]:
    """The accepted report this one amends, if any."""
    if not report.amends_id:
        return []
    rows = Submission.objects.filter(pk=report.amends_id, state=ReportState.ACCEPTED).values(*PEER_PATHS.values())
    return [peer_report(row) for row in rows]


def peer_pool(election_id, centres: list[rules.PeerReport]) -> list[rules.PeerReport]:
    """Accepted submissions (other than the first centre, the one being
    processed) that `impossible_travel` may relate to a centre: everything the
    centres' observers sent in the election (every kind counts). An observer
    sends a handful, so this stays small however busy the district is; the
    cluster flags read their cluster in the batched refresh instead
    (`reports.services.clusters`)."""
    # (submitted_by, occurred_at) is indexed: one index range scan per observer.
    rows = (
        Submission.objects.filter(election_id=election_id, state=ReportState.ACCEPTED, submitted_by_id__in={c.observer_id for c in centres})
        .exclude(pk=centres[0].report_id)
        .order_by("occurred_at", "pk")
        .values(*PEER_PATHS.values())
    )
    return [peer_report(row) for row in rows]


def has_cluster_neighbours(election_id, subject: rules.PeerReport) -> bool:
    """Is there another accepted incident report of the subject's organization
    and district close enough in time to share a cluster flag with it? If not,
    the subject raises none and changes none: its cluster needs no refresh."""
    reach = dt.timedelta(seconds=settings.PIPELINE.neighbourhood_seconds)
    # By station, not through the district join: (station, occurred_at) is indexed.
    stations = PollingStation.objects.filter(election_id=election_id, district_id=subject.district_id).values_list("pk", flat=True)
    return (
        Submission.objects.filter(
            election_id=election_id,
            organization_id=subject.organization_id,
            kind=SubmissionKind.INCIDENT,
            state=ReportState.ACCEPTED,
            station_id__in=list(stations),
            occurred_at__gte=subject.occurred_at - reach,
            occurred_at__lte=subject.occurred_at + reach,
        )
        .exclude(pk=subject.report_id)
        .exists()
    )


@dataclass(frozen=True)
class SideFacts:
    """What the stages read besides the report and its neighbours, read
    together (`side_facts`): one round trip on PostgreSQL instead of four."""

    accreditations: tuple[validation.AccreditationFacts, ...]
    photos: tuple[rules.PhotoFacts, ...]
    regions: tuple[Region, ...]  # id, code and admin1 codes only, ordered by code
    deployed: bool


def side_facts(report: Submission) -> SideFacts:
    """The organization's accreditations for the election (by pk), the
    report's photos (by position, pk), the regions with their admin1 codes
    (by code), and whether the observer is deployed at the report's station
    (or its district or region: `monitoring.selectors.is_deployed_at`)."""
    if connection.vendor != "postgresql":
        return side_facts_orm(report)
    station = report.station
    params = {
        "organization": report.organization_id, "election": report.election_id, "report": report.pk,
        "observer": report.submitted_by_id, "station_election": station.election_id, "station": station.pk,
        "district": station.district_id, "region": station.district.region_id,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_SIDE_FACTS_SQL, params)
        rows = cursor.fetchall()
    accreditations, photos, regions, deployed = [], [], [], False
    for part, n, key, text, admin1, t1, t2, t3, lat, lon in rows:
        if part == 1:
            accreditations.append(validation.AccreditationFacts(status=text, valid_from=t1, valid_until=t2, revoked_at=t3))
        elif part == 2:
            photos.append(rules.PhotoFacts(number=n + 1, latitude=lat, longitude=lon, taken_at=t1))
        elif part == 3:
            admin1 = json.loads(admin1) if isinstance(admin1, str) else admin1
            regions.append(Region(pk=int(text), code=key, geonames_admin1=admin1 or []))
        else:
            deployed = True
    return SideFacts(tuple(accreditations), tuple(photos), tuple(regions), deployed)


def side_facts_orm(report: Submission) -> SideFacts:
    """`side_facts` through the ORM, four queries (SQLite; the reference the
    PostgreSQL statement is tested against)."""
    return SideFacts(
        accreditations=_accreditations(report),
        photos=report_photos(report),
        regions=tuple(Region.objects.order_by("code")),
        deployed=is_deployed_at(observer_id=report.submitted_by_id, station=report.station),
    )


# `side_facts` on PostgreSQL: four reads as one statement, each part tagged and
# ordered as its ORM query is (accreditations by pk; photos by position, pk;
# regions by code); part 4 is a row only if the observer is deployed there.
_SIDE_FACTS_SQL = """
SELECT 1 AS part, a.id AS n, '' AS k, a.status::text, NULL::jsonb, a.valid_from, a.valid_until, a.revoked_at, NULL::float8, NULL::float8
  FROM monitoring_accreditation a WHERE a.organization_id = %(organization)s AND a.election_id = %(election)s
UNION ALL
SELECT 2, p.position, p.id::text, NULL, NULL, p.exif_taken_at, NULL, NULL, p.exif_latitude, p.exif_longitude
  FROM reports_attachment p WHERE p.report_id = %(report)s
UNION ALL
SELECT 3, 0, r.code::text, r.id::text, r.geonames_admin1::jsonb, NULL, NULL, NULL, NULL, NULL FROM monitoring_region r
UNION ALL
SELECT 4, 0, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL
 WHERE EXISTS (SELECT 1 FROM monitoring_deployment d
                WHERE d.observer_id = %(observer)s AND d.election_id = %(station_election)s
                  AND (d.station_id = %(station)s OR d.district_id = %(district)s OR d.region_id = %(region)s))
ORDER BY 1, 2, 3
"""


def _accreditations(report: Submission) -> tuple[validation.AccreditationFacts, ...]:
    return tuple(
        validation.AccreditationFacts(status=a.status, valid_from=a.valid_from, valid_until=a.valid_until, revoked_at=a.revoked_at)
        for a in Accreditation.objects.filter(organization_id=report.organization_id, election_id=report.election_id).order_by("pk")
    )


def validation_facts(report: Submission, side: SideFacts | None = None) -> validation.ValidationFacts:
    accreditations = _accreditations(report) if side is None else side.accreditations
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


def report_photos(report: Submission) -> tuple[rules.PhotoFacts, ...]:
    """The submission's photos in order, with their EXIF fix and time: one read
    for the geotag (`report_location`) and the photo rules (`rule_facts`)."""
    return tuple(
        rules.PhotoFacts(number=position + 1, latitude=lat, longitude=lon, taken_at=taken)
        for position, lat, lon, taken in report.attachments.order_by("position", "pk").values_list(
            "position", "exif_latitude", "exif_longitude", "exif_taken_at"
        )
    )


def report_location(report: Submission, photos: tuple[rules.PhotoFacts, ...] | None = None) -> GeotagResult:
    """Where the submission was made: device fix, else the first photo's EXIF
    fix, else the claimed station; with the nearest station and settlement.
    `photos`: `report_photos(report)` if already read."""
    device = Point(report.latitude, report.longitude) if report.latitude is not None else None
    photos = report_photos(report) if photos is None else photos
    photo_fix = next(((p.latitude, p.longitude) for p in photos if p.latitude is not None and p.longitude is not None), None)
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
class ResolvedPlace:
    district: District | None  # stored as the report's geo_district
    region: Region | None  # stored as its geo_region
    gps_region: Region | None  # the registry's: region of the nearest station's district
    admin_region: Region | None  # the gazetteer's first-level division, mapped to a region


def place_resolve(report: Submission, location: GeotagResult, regions: tuple[Region, ...] | None = None) -> ResolvedPlace:
    """Region and district come from the station registry (the nearest
    station's, or the claimed one's without a fix); the first-level area from
    the gazetteer."""
    admin_region = _region_for_admin1(location.admin1, regions) if location.admin1 else None
    if location.source == "station":
        district = report.station.district
        return ResolvedPlace(district=district, region=district.region, gps_region=None, admin_region=admin_region)
    if location.nearest_station_district_id == report.station.district_id:
        district = report.station.district  # near its own station's district (the usual case): loaded already
    elif location.nearest_station_district_id:
        district = District.objects.select_related("region").filter(pk=location.nearest_station_district_id).first()
    else:
        district = None
    gps_region = district.region if district else None
    return ResolvedPlace(district=district, region=gps_region or admin_region, gps_region=gps_region, admin_region=admin_region)


def _region_for_admin1(admin1: str, regions: tuple[Region, ...] | None = None) -> Region | None:
    for region in Region.objects.order_by("code") if regions is None else regions:
        if admin1 in (region.geonames_admin1 or []):
            return region
    return None


def rule_facts(
    report: Submission,
    location: GeotagResult,
    place: ResolvedPlace,
    subject: rules.PeerReport,
    pool: list[rules.PeerReport],
    photos: tuple[rules.PhotoFacts, ...] | None = None,
    deployed: bool | None = None,
) -> rules.RuleFacts:
    election = report.election
    region = report.station.district.region
    category = report.category  # None for kinds other than incidents
    return rules.RuleFacts(
        report=subject,
        station_region_code=region.code,
        station_region_name=region.name_en,
        category_name_en=category.name_en if category else "",
        category_phase=category.phase if category else "",
        category_critical=bool(category and category.critical),
        received_at=report.received_at,
        voting_day=election.voting_day,
        polls_open=election.polls_open,
        polls_close=election.polls_close,
        location_source=location.source,
        latitude=location.latitude,
        longitude=location.longitude,
        accuracy_m=report.accuracy_m if location.source == "device_gps" else None,
        claimed_station_distance_m=location.claimed_station_distance_m,
        gps_region_code=place.gps_region.code if place.gps_region else None,
        gps_region_name=place.gps_region.name_en if place.gps_region else "",
        admin_region_code=place.admin_region.code if place.admin_region else None,
        settlement=location.settlement,
        deployed=is_deployed_at(observer_id=report.submitted_by_id, station=report.station) if deployed is None else deployed,
        thresholds=settings.PIPELINE,
        photos=report_photos(report) if photos is None else photos,
        peers=tuple(pool),
        checklist=_checklist_facts(report),
    )


@dataclass(frozen=True)
class PipelineHealth:
    """How far behind the pipeline is, for operators (situation page, /metrics)."""

    waiting: int  # submissions received or being processed
    oldest_waiting_s: float  # age of the oldest of them (0 when none)
    clusters_pending: int  # clusters waiting for their flag refresh
    oldest_cluster_s: float


def pipeline_health(now) -> PipelineHealth:
    """Two aggregate queries over the whole platform (no personal data)."""
    waiting = Submission.objects.filter(state__in=[ReportState.RECEIVED, ReportState.PROCESSING]).aggregate(
        n=Count("pk"), oldest=Min("received_at")
    )
    clusters = ClusterRefresh.objects.aggregate(n=Count("pk"), oldest=Min("requested_at"))

    def age(moment) -> float:
        return round(max(0.0, (now - moment).total_seconds()), 3) if moment else 0.0

    return PipelineHealth(
        waiting=waiting["n"],
        oldest_waiting_s=age(waiting["oldest"]),
        clusters_pending=clusters["n"],
        oldest_cluster_s=age(clusters["oldest"]),
    )
