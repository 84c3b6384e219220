"""Realistic election-day reports at any size, fast: for the benchmarks and for
tests that need a large queue (query counts, streaming in chunks).

    from testkit.bulk import bulk_reports, territory_from
    bulk_reports(territory_from(election), count=10_000)

Shape (the demo's, reports/demo.py, at scale):
- each observer files at their own station 90% of the time;
- reports received from 06:00 to midnight on voting day with peaks at opening
  (07:00) and closing (20:00); the incident a few minutes to two hours earlier;
  categories by phase of the day (opening, voting, counting) and the demo's
  relative frequencies; severity from the category;
- 78% with a GPS fix near the station, 10% far from it (off_site), 12% without
  (no_location); ~20% with one to three photos (hash records only, no files);
- 93% accepted, 5% rejected, 1.5% still in the pipeline, 0.5% failed; triage
  statuses as on a busy afternoon, with assignees and deciders.

Every report carries a correct content hash and chain link (reports.integrity),
in order of receipt, so exports of generated data verify. Deterministic for a
given seed. On PostgreSQL rows go in through COPY; elsewhere through
bulk_create. Audit-trail events are not generated (nothing here reads them).
bench/territory.py builds a territory of thousands of stations to file into.
"""

import datetime as dt
import json
import math
import random
import uuid
import zoneinfo
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import connection, transaction
from django.utils import timezone

from monitoring.localtime import format_utc
from monitoring.models import Deployment, Election, Observer, PollingStation
from reports import demo, integrity, rules
from reports.models import Attachment, ChainHead, Flag, IncidentCategory, IncidentReport

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
# Reports received per local hour of voting day (06:00 … 23:00), relative.
HOURLY_PROFILE = {6: 2, 7: 9, 8: 8, 9: 6, 10: 5, 11: 5, 12: 5, 13: 5, 14: 5, 15: 5, 16: 5, 17: 5, 18: 6, 19: 8, 20: 9, 21: 7, 22: 4, 23: 2}
DESCRIPTIONS = [
    *demo.DESCRIPTIONS,
    '=HYPERLINK("http://example.org") {what}',  # a formula an export must neutralize
]
TRIAGE_MIX = [("new", 45), ("under_review", 10), ("verified", 20), ("dismissed", 12), ("escalated", 8), ("resolved", 5)]
_TRIAGE_STATUSES = [status for status, _weight in TRIAGE_MIX]
_TRIAGE_CUMULATIVE = list(accumulate(weight for _status, weight in TRIAGE_MIX))
DECIDED = ("verified", "dismissed", "escalated", "resolved")


@dataclass
class Territory:
    election: Election
    stations: list  # PollingStation with district__region
    station_cumulative: list[float]  # cumulative weights for choosing a station
    observers: list  # Observer (field observers)
    home: dict  # observer id → station
    coordinators: dict  # organization id → [user ids]
    categories: dict  # phase → ([IncidentCategory], cumulative weights)
    zones: dict = field(default_factory=dict)  # region timezone name → ZoneInfo


def territory_from(election: Election, observers=None) -> Territory:
    """The territory of an existing election; `observers` (default: everyone
    deployed in it) file the reports."""
    stations = list(PollingStation.objects.filter(election=election).select_related("district__region").order_by("code"))
    if observers is None:
        observers = [d.observer for d in Deployment.objects.filter(election=election, station__isnull=False).select_related("observer")]
    observers = list(observers)
    home = {
        d.observer_id: d.station
        for d in Deployment.objects.filter(election=election, station__isnull=False, observer__in=observers).select_related(
            "station__district__region"
        )
    }
    coordinators = {}
    for observer in Observer.objects.filter(role=Observer.Role.COORDINATOR, organization__isnull=False):
        coordinators.setdefault(observer.organization_id, []).append(observer.user_id)
    by_phase = {}
    for category in IncidentCategory.objects.filter(is_active=True):
        by_phase.setdefault(category.phase, []).append(category)
    categories = {}
    for phase, items in by_phase.items():
        items.sort(key=lambda c: c.code)
        categories[phase] = (items, list(accumulate(demo.CATEGORY_WEIGHTS.get(c.code, 1) for c in items)))
    weights = list(accumulate(s.registered_voters or 1000 for s in stations))
    zones = {s.district.region.timezone: zoneinfo.ZoneInfo(s.district.region.timezone) for s in stations}
    return Territory(election, stations, weights, observers, home, coordinators, categories, zones)


# --- Reports --------------------------------------------------------------------------------------------


def _pick(rng: random.Random, items, cumulative):
    return items[bisect_left(cumulative, rng.random() * cumulative[-1])]


def _receipt_times(day: dt.date, count: int) -> Callable[[int], dt.datetime]:
    """Report i of count is received at the i-th quantile of the day's profile
    (Almaty clock): strictly increasing, so receipt order is chain order."""
    hours = sorted(HOURLY_PROFILE)
    cumulative = list(accumulate(HOURLY_PROFILE[h] for h in hours))
    total = cumulative[-1]
    start = dt.datetime.combine(day, dt.time(0), tzinfo=ALMATY)

    def at(i: int) -> dt.datetime:
        q = (i + 0.5) / count * total
        k = bisect_left(cumulative, q)
        before = cumulative[k - 1] if k else 0
        fraction = (q - before) / HOURLY_PROFILE[hours[k]]
        return (start + dt.timedelta(hours=hours[k] + fraction)).astimezone(dt.UTC)

    return at


def _phase_for(local_hour: int, rng: random.Random) -> str:
    roll = rng.random()
    if local_hour < 8:
        return "opening" if roll < 0.6 else "voting"
    if local_hour >= 20:
        return "counting" if roll < 0.6 else ("tabulation" if roll < 0.75 else "voting")
    return "voting" if roll < 0.96 else "pre_election"


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def bulk_reports(
    territory: Territory,
    *,
    count: int,
    seed: int = 1,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append `count` reports to the territory's election (and its hash chain).
    Returns how many were written."""
    rng = random.Random(seed)
    election = territory.election
    received_at = _receipt_times(election.voting_day, count)
    # The chains of the incident reports of each organization (models.ChainHead): [seq, last link].
    heads = {org: [0, integrity.GENESIS] for org in {observer.organization_id for observer in territory.observers}}
    for head in ChainHead.objects.filter(election=election, kind=IncidentReport.KIND, organization_id__in=heads):
        heads[head.organization_id] = [head.seq, head.sha256]
    now = timezone.now()
    written = 0
    for start in range(0, count, batch_size):
        reports, flags, photos = [], [], []
        for i in range(start, min(start + batch_size, count)):
            report, report_flags, report_photos = _one_report(rng, territory, received_at(i), heads, now)
            reports.append(report)
            flags.extend(report_flags)
            photos.extend(report_photos)
        _insert(reports, flags, photos)
        written += len(reports)
        if progress is not None:
            progress(len(reports))
    for org, (seq, last) in heads.items():
        if seq:
            ChainHead.objects.update_or_create(
                election=election, organization_id=org, kind=IncidentReport.KIND, defaults={"seq": seq, "sha256": last}
            )
    return written


@dataclass
class _Position:
    """Where the phone said it was: `distance` metres from the claimed station, or no fix."""

    distance: float | None
    accuracy: float | None
    source: str
    latitude: float | None = None
    longitude: float | None = None


def _position(rng: random.Random, station) -> _Position:
    roll = rng.random()
    if roll < 0.78:
        position = _Position(abs(rng.gauss(40, 40)), round(rng.uniform(5, 60), 1), "device_gps")
    elif roll < 0.88:
        position = _Position(rng.uniform(2_000, 25_000), round(rng.uniform(5, 40), 1), "device_gps")
    else:
        return _Position(None, None, "station")
    bearing = rng.uniform(0, 2 * math.pi)
    position.latitude = round(station.latitude + position.distance * math.cos(bearing) / 111_320.0, 6)
    position.longitude = round(
        station.longitude + position.distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(station.latitude))), 6
    )
    return position


def _photo_rows(rng: random.Random, report_id: uuid.UUID, now: dt.datetime) -> list[dict]:
    if rng.random() >= 0.2:
        return []
    rows = []
    for position in range(rng.choice((1, 1, 1, 2, 3))):
        photo_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        rows.append(
            {
                "id": photo_id,
                "report_id": report_id,
                "file": f"photos/{report_id}/{photo_id}.jpg",
                "content_type": "image/jpeg",
                "original_content_type": "image/jpeg",
                "size": rng.randint(200_000, 4_000_000),
                "sha256": _hex(rng),
                "stored_sha256": _hex(rng),
                "width": 1600,
                "height": 1200,
                "exif_latitude": None,
                "exif_longitude": None,
                "exif_taken_at_local": None,
                "exif_taken_at": None,
                "position": position,
                "created_at": now,
            }
        )
    return rows


def _state(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.93:
        return "accepted"
    if roll < 0.98:
        return "rejected"
    return "received" if roll < 0.995 else "failed"


def _flags(territory: Territory, station, category, local: dt.datetime, position: _Position) -> list[rules.FlagResult]:
    """The rules' outcome for an accepted report, from what was generated."""
    results = []
    if position.distance is not None and position.distance > 500 + (position.accuracy or 0):
        params = {
            "distance_m": round(position.distance),
            "station": station.code,
            "accuracy_m": round(position.accuracy),
            "threshold_m": 500,
        }
        results.append(rules.FlagResult("off_site", "high", params))
    if position.source == "station":
        results.append(rules.FlagResult("no_location", "low", {}))
    if category.phase == "voting" and not (7 <= local.hour < 20):
        params = {
            "local_time": local.strftime("%Y-%m-%d %H:%M"),
            "zone": station.district.region.timezone,
            "opens": "07:00",
            "closes": "20:00",
            "voting_day": territory.election.voting_day.isoformat(),
        }
        results.append(rules.FlagResult("outside_polling_hours", "medium", params))
    if category.critical:
        results.append(rules.FlagResult("critical_category", "critical", {"category": category.name_en}))
    return results


def _flag_row(report_id: uuid.UUID, result: rules.FlagResult, received: dt.datetime) -> dict:
    return {
        "report_id": report_id,
        "code": result.code,
        "severity": result.severity,
        "explanation": rules.flag_text(result.code, result.params),
        "params": result.params,
        "raised_at": received,
        "updated_at": received,
        "state": "open",
        "decided_by_id": None,
        "decided_at": None,
        "note": "",
    }


def _triage_status(rng: random.Random, category) -> str:
    if category.critical and rng.random() < 0.7:
        return "escalated"
    return _pick(rng, _TRIAGE_STATUSES, _TRIAGE_CUMULATIVE)


def _pipeline_columns(state: str, received: dt.datetime) -> dict:
    return {
        "state": state,
        "processing_attempts": 0 if state == "received" else 1,
        "processing_started_at": None if state == "received" else received,
        "processed_at": None if state == "received" else received + dt.timedelta(seconds=2),
        "last_error": "database unavailable" if state == "failed" else "",
        "rejection_reasons": [{"code": "outside_observation_window", "params": {"window": "2020-12-10 – …"}}]
        if state == "rejected"
        else [],
    }


def _geotag_columns(accepted: bool, station, position: _Position) -> dict:
    if not accepted:
        return {
            "location_source": "",
            "location_latitude": None,
            "location_longitude": None,
            "geo_region_id": None,
            "geo_district_id": None,
            "geo_settlement": "",
            "geo_admin_area": "",
            "settlement_distance_m": None,
            "nearest_station_id": None,
            "nearest_station_distance_m": None,
            "claimed_station_distance_m": None,
        }
    return {
        "location_source": position.source,
        "location_latitude": station.latitude if position.latitude is None else position.latitude,
        "location_longitude": station.longitude if position.longitude is None else position.longitude,
        "geo_region_id": station.district.region_id,
        "geo_district_id": station.district_id,
        "geo_settlement": station.settlement,
        "geo_admin_area": "",
        "settlement_distance_m": None,
        "nearest_station_id": station.pk,
        "nearest_station_distance_m": position.distance or 0.0,
        "claimed_station_distance_m": position.distance or 0.0,
    }


def _triage_columns(rng: random.Random, territory: Territory, observer, triage: str, received: dt.datetime) -> dict:
    coordinators = territory.coordinators.get(observer.organization_id) or [None]
    assignee = rng.choice(coordinators) if triage != "new" else None
    decided = triage in DECIDED and assignee is not None
    return {
        "triage_status": triage,
        "assignee_id": assignee,
        "decided_by_id": assignee if decided else None,
        "decided_at": received + dt.timedelta(minutes=20) if decided else None,
        "triage_version": 0 if triage == "new" else 2,
    }


def _one_report(rng, territory: Territory, received: dt.datetime, heads: dict, now: dt.datetime):
    """One report's row, its flag rows and photo rows (dicts keyed by attname);
    appends it to its organization's chain in `heads`."""
    observer = territory.observers[rng.randrange(len(territory.observers))]
    head = heads[observer.organization_id]
    seq, previous = head[0] + 1, head[1]
    station = territory.home.get(observer.pk) if rng.random() < 0.9 else None
    station = station or _pick(rng, territory.stations, territory.station_cumulative)
    occurred = (received - dt.timedelta(seconds=min(rng.expovariate(1 / 600), 7200))).replace(microsecond=0)
    local = occurred.astimezone(territory.zones[station.district.region.timezone])
    items, weights = territory.categories.get(_phase_for(local.hour, rng)) or territory.categories["voting"]
    category = _pick(rng, items, weights)
    position = _position(rng, station)
    report_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    photo_rows = _photo_rows(rng, report_id, now)
    client_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
    description = rng.choice(DESCRIPTIONS).format(
        hour=local.strftime("%H:%M"), what=category.name_en.lower(), what_ru=category.name_ru.lower(), what_kk=category.name_kk.lower()
    )
    content = integrity.content_sha256(
        client_uuid=str(client_uuid),
        observer_code=observer.public_code,
        election_code=territory.election.code,
        station_code=station.code,
        occurred_at_utc=format_utc(occurred),
        latitude=position.latitude,
        longitude=position.longitude,
        accuracy_m=position.accuracy,
        content=integrity.incident_content(
            category_code=category.code,
            severity=category.default_severity,
            description=description,
            amends=None,
            photo_sha256s=[p["sha256"] for p in photo_rows],
        ),
    )
    state = _state(rng)
    accepted = state == "accepted"
    results = _flags(territory, station, category, local, position) if accepted else []
    triage = _triage_status(rng, category) if accepted else "new"
    link = integrity.chain_link(
        previous=previous, seq=seq, report_id=str(report_id), received_at_utc=format_utc(received), content_sha256=content
    )
    head[0], head[1] = seq, link
    report = {
        "id": report_id,
        "kind": "incident",
        "source": "api",
        "client_uuid": client_uuid,
        "election_id": territory.election.pk,
        "station_id": station.pk,
        "category_id": category.pk,
        "severity": category.default_severity,
        "occurred_at": occurred,
        "description": description,
        "latitude": position.latitude,
        "longitude": position.longitude,
        "accuracy_m": position.accuracy,
        "submitted_by_id": observer.pk,
        "organization_id": observer.organization_id,
        "amends_id": None,
        "received_at": received,
        "content_sha256": content,
        "chain_seq": seq,
        "chain_sha256": link,
        **_pipeline_columns(state, received),
        **_geotag_columns(accepted, station, position),
        "risk_score": rules.risk_score(severity=category.default_severity, flags=results) if accepted else 0,
        **_triage_columns(rng, territory, observer, triage, received),
        "created_at": received,
        "updated_at": received,
    }
    return report, [_flag_row(report_id, result, received) for result in results], photo_rows


def _insert(reports: list[dict], flags: list[dict], photos: list[dict]) -> None:
    if connection.vendor == "postgresql":
        with transaction.atomic():
            _copy(IncidentReport, reports)
            _copy(Flag, flags)
            _copy(Attachment, photos)
        return
    with transaction.atomic():
        IncidentReport.objects.bulk_create([IncidentReport(**r) for r in reports], batch_size=500)
        Flag.objects.bulk_create([Flag(**f) for f in flags], batch_size=500)
        Attachment.objects.bulk_create([Attachment(**p) for p in photos], batch_size=500)


def _copy(model, rows: list[dict]) -> None:
    """PostgreSQL COPY of plain dicts keyed by attname (an auto id is left to the database)."""
    if not rows:
        return
    # Every column but a database-generated id; fields this module does not know
    # (added by later migrations) get their Python default.
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in rows[0])]
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for f in fields:
                    value = row[f.attname] if f.attname in row else defaults[f.attname]
                    values.append(json.dumps(value) if f.attname in json_fields else value)
                copy.write_row(values)
