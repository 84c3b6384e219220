"""Realistic election-day datasets at any size, fast: for benchmarks (and the
large fixtures of query-count tests).

    from bench.datasets import build_territory, bulk_reports
    territory = build_territory(election_code="bench-1m", stations=4000, observers=2000)
    bulk_reports(territory, count=1_000_000)

Shape (the demo's, reports/demo.py, at scale):
- polling stations at real Kazakh settlements (offline GeoNames), more in bigger
  places; each observer posted at one station and filing there 90% of the time;
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

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from monitoring.localtime import format_utc
from monitoring.models import (
    Accreditation,
    Deployment,
    District,
    Election,
    Observer,
    ObserverOrganization,
    PollingStation,
    new_public_code,
)
from reports import integrity, rules
from reports.demo import CATEGORY_WEIGHTS
from reports.models import Attachment, Flag, IncidentCategory, IncidentReport, ReportChainHead

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
# Reports received per local hour of voting day (06:00 … 23:00), relative.
HOURLY_PROFILE = {6: 2, 7: 9, 8: 8, 9: 6, 10: 5, 11: 5, 12: 5, 13: 5, 14: 5, 15: 5, 16: 5, 17: 5, 18: 6, 19: 8, 20: 9, 21: 7, 22: 4, 23: 2}
DESCRIPTIONS = [
    "Seen at {hour}: {what}.",
    "{what}. Commission chair informed, no reaction.",
    "{what}; two other observers witnessed it.",
    "Около {hour}: {what_ru}.",
    "Сағат {hour} шамасында: {what_kk}.",
    '=HYPERLINK("http://example.org") {what}',  # a formula an export must neutralize
]
TRIAGE_MIX = [("new", 45), ("under_review", 10), ("verified", 20), ("dismissed", 12), ("escalated", 8), ("resolved", 5)]
SEVERITY_WEIGHT = rules.SEVERITY_WEIGHT


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


# --- Territory ------------------------------------------------------------------------------------


def build_territory(
    *, election_code: str, stations: int = 2000, observers: int = 600, organizations: int = 3, seed: int = 2021
) -> Territory:
    """An election with `stations` polling stations in real settlements, accredited
    organizations with coordinators, and deployed observers. Reuses what exists."""
    from monitoring.demo import load_regions
    from monitoring.gazetteer import load_settlements
    from reports.taxonomy import taxonomy_sync

    taxonomy_sync(IncidentCategory)
    election = Election.objects.filter(code=election_code).first()
    if election is not None and election.stations.exists():
        return territory_from(election)
    rng = random.Random(seed)
    with transaction.atomic():
        regions = load_regions()
        election = Election.objects.create(
            code=election_code,
            name=f"Benchmark election {election_code}",
            voting_day=dt.date(2021, 1, 10),
            polls_open=dt.time(7, 0),
            polls_close=dt.time(20, 0),
            observation_starts_at=dt.datetime(2020, 12, 10, tzinfo=ALMATY),
        )
        admin1 = {a: r for r in regions.values() for a in r.geonames_admin1}
        settlements = [s for s in load_settlements(["KZ"]) if s.admin1 in admin1]
        # Stations per settlement grow with population (sub-linearly).
        weights = [math.sqrt(max(s.population, 500)) for s in settlements]
        total = sum(weights)
        districts = {}
        station_rows = []
        code_counter = 0
        for settlement, weight in zip(settlements, weights, strict=True):
            n = max(1, round(stations * weight / total))
            region = admin1[settlement.admin1]
            key = (region.pk, settlement.geonameid)
            if key not in districts:
                districts[key] = District(
                    region=region, code=f"gn-{settlement.geonameid}", name_en=settlement.name, name_ru=settlement.name_ru
                )
            for k in range(n):
                code_counter += 1
                bearing, radius = rng.uniform(0, 2 * math.pi), 0 if k == 0 else rng.uniform(300, 4000)
                lat = settlement.latitude + radius * math.cos(bearing) / 111_320.0
                lon = settlement.longitude + radius * math.sin(bearing) / (111_320.0 * math.cos(math.radians(settlement.latitude)))
                station_rows.append((key, code_counter, settlement, round(lat, 6), round(lon, 6)))
        existing = {(d.region_id, d.code): d for d in District.objects.filter(code__in=[d.code for d in districts.values()])}
        new = [d for (rid, _gid), d in districts.items() if (rid, d.code) not in existing]
        District.objects.bulk_create(new, batch_size=1000)
        by_code = {(d.region_id, d.code): d for d in District.objects.filter(code__in=[d.code for d in districts.values()])}
        PollingStation.objects.bulk_create(
            [
                PollingStation(
                    election=election,
                    code=f"{code:05d}",
                    name=f"Polling station No. {code:05d}",
                    address=f"{settlement.name}",
                    settlement=settlement.name,
                    district=by_code[(key[0], f"gn-{key[1]}")],
                    latitude=lat,
                    longitude=lon,
                    registered_voters=rng.randint(300, 3000),
                )
                for key, code, settlement, lat, lon in station_rows
            ],
            batch_size=2000,
        )

        user_model = get_user_model()
        unusable = make_password(None)
        orgs = []
        for n in range(organizations):
            org, _ = ObserverOrganization.objects.get_or_create(name=f"{election_code} observers {n + 1}")
            Accreditation.objects.get_or_create(
                organization=org,
                election=election,
                defaults=dict(
                    number=f"{election_code}-{n + 1:03d}",
                    valid_from=dt.datetime(2020, 12, 10, tzinfo=ALMATY),
                    valid_until=dt.datetime(2030, 12, 31, tzinfo=ALMATY),
                ),
            )
            orgs.append(org)
        people = [(f"{election_code}-obs-{i:06d}", orgs[i % len(orgs)], Observer.Role.OBSERVER) for i in range(observers)]
        people += [(f"{election_code}-coord-{o.pk}-{j}", o, Observer.Role.COORDINATOR) for o in orgs for j in range(3)]
        user_model.objects.bulk_create([user_model(username=u, password=unusable) for u, _o, _r in people], batch_size=2000)
        users = dict(user_model.objects.filter(username__startswith=f"{election_code}-").values_list("username", "pk"))
        Observer.objects.bulk_create(
            [Observer(user_id=users[u], organization=o, role=r, public_code=new_public_code()) for u, o, r in people], batch_size=2000
        )
        station_ids = list(election.stations.values_list("pk", flat=True))
        Deployment.objects.bulk_create(
            [
                Deployment(observer=o, election=election, station_id=rng.choice(station_ids))
                for o in Observer.objects.filter(user__username__startswith=f"{election_code}-obs-")
            ],
            batch_size=2000,
        )
    return territory_from(election)


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
        categories[phase] = (items, list(accumulate(CATEGORY_WEIGHTS.get(c.code, 1) for c in items)))
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
    head, _ = ReportChainHead.objects.get_or_create(election=election, defaults={"sha256": integrity.GENESIS})
    seq, previous = head.seq, head.sha256
    now = timezone.now()
    all_categories = {c.code: c for items, _w in territory.categories.values() for c in items}
    written = 0
    for start in range(0, count, batch_size):
        reports, flags, photos = [], [], []
        for i in range(start, min(start + batch_size, count)):
            seq += 1
            report, report_flags, report_photos = _one_report(rng, territory, all_categories, received_at(i), seq, previous, now)
            previous = report["chain_sha256"]
            reports.append(report)
            flags.extend(report_flags)
            photos.extend(report_photos)
        _insert(reports, flags, photos)
        written += len(reports)
        if progress is not None:
            progress(len(reports))
    ReportChainHead.objects.filter(election=election).update(seq=seq, sha256=previous)
    return written


def _one_report(rng, territory: Territory, categories, received: dt.datetime, seq: int, previous: str, now: dt.datetime):
    observer = territory.observers[rng.randrange(len(territory.observers))]
    station = territory.home.get(observer.pk) if rng.random() < 0.9 else None
    station = station or _pick(rng, territory.stations, territory.station_cumulative)
    region = station.district.region
    zone = territory.zones[region.timezone]
    occurred = (received - dt.timedelta(seconds=min(rng.expovariate(1 / 600), 7200))).replace(microsecond=0)
    local = occurred.astimezone(zone)
    phase = _phase_for(local.hour, rng)
    items, weights = territory.categories.get(phase) or territory.categories["voting"]
    category = _pick(rng, items, weights)
    severity = category.default_severity

    roll = rng.random()
    if roll < 0.78:
        distance, accuracy, source = abs(rng.gauss(40, 40)), round(rng.uniform(5, 60), 1), "device_gps"
    elif roll < 0.88:
        distance, accuracy, source = rng.uniform(2_000, 25_000), round(rng.uniform(5, 40), 1), "device_gps"
    else:
        distance, accuracy, source = None, None, "station"
    if distance is not None:
        bearing = rng.uniform(0, 2 * math.pi)
        lat = round(station.latitude + distance * math.cos(bearing) / 111_320.0, 6)
        lon = round(station.longitude + distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(station.latitude))), 6)
    else:
        lat = lon = None

    report_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    photo_rows = []
    if rng.random() < 0.2:
        for position in range(rng.choice((1, 1, 1, 2, 3))):
            photo_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            photo_rows.append(
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
    client_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
    what = category.name_en.lower()
    description = rng.choice(DESCRIPTIONS).format(
        hour=local.strftime("%H:%M"), what=what, what_ru=category.name_ru.lower(), what_kk=category.name_kk.lower()
    )
    content = integrity.content_sha256(
        client_uuid=str(client_uuid),
        observer_code=observer.public_code,
        election_code=territory.election.code,
        station_code=station.code,
        category_code=category.code,
        severity=severity,
        occurred_at_utc=format_utc(occurred),
        description=description,
        latitude=lat,
        longitude=lon,
        accuracy_m=accuracy,
        amends=None,
        photo_sha256s=[p["sha256"] for p in photo_rows],
    )
    chain = integrity.chain_link(
        previous=previous, seq=seq, report_id=str(report_id), received_at_utc=format_utc(received), content_sha256=content
    )

    state_roll = rng.random()
    state = "accepted" if state_roll < 0.93 else "rejected" if state_roll < 0.98 else "received" if state_roll < 0.995 else "failed"
    flag_rows = []
    if state == "accepted":
        results = []
        if distance is not None and distance > 500 + (accuracy or 0):
            results.append(
                rules.FlagResult(
                    "off_site",
                    "high",
                    {"distance_m": round(distance), "station": station.code, "accuracy_m": round(accuracy), "threshold_m": 500},
                )
            )
        if source == "station":
            results.append(rules.FlagResult("no_location", "low", {}))
        if category.phase == "voting" and not (7 <= local.hour < 20):
            results.append(
                rules.FlagResult(
                    "outside_polling_hours",
                    "medium",
                    {
                        "local_time": local.strftime("%Y-%m-%d %H:%M"),
                        "zone": region.timezone,
                        "opens": "07:00",
                        "closes": "20:00",
                        "voting_day": territory.election.voting_day.isoformat(),
                    },
                )
            )
        if category.critical:
            results.append(rules.FlagResult("critical_category", "critical", {"category": category.name_en}))
        for result in results:
            flag_rows.append(
                {
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
            )
        risk = rules.risk_score(severity=severity, flags=results)
        triage = "escalated" if category.critical and rng.random() < 0.7 else _pick(rng, _TRIAGE_STATUSES, _TRIAGE_CUMULATIVE)
    else:
        risk, triage = 0, "new"
    coordinators = territory.coordinators.get(observer.organization_id) or [None]
    assignee = rng.choice(coordinators) if triage != "new" else None
    decided = triage in ("verified", "dismissed", "escalated", "resolved") and assignee is not None
    report = {
        "id": report_id,
        "client_uuid": client_uuid,
        "election_id": territory.election.pk,
        "station_id": station.pk,
        "category_id": category.pk,
        "severity": severity,
        "occurred_at": occurred,
        "description": description,
        "latitude": lat,
        "longitude": lon,
        "accuracy_m": accuracy,
        "submitted_by_id": observer.pk,
        "organization_id": observer.organization_id,
        "amends_id": None,
        "received_at": received,
        "content_sha256": content,
        "chain_seq": seq,
        "chain_sha256": chain,
        "state": state,
        "processing_attempts": 0 if state == "received" else 1,
        "processing_started_at": None if state == "received" else received,
        "processed_at": None if state in ("received",) else received + dt.timedelta(seconds=2),
        "last_error": "database unavailable" if state == "failed" else "",
        "rejection_reasons": [{"code": "outside_observation_window", "params": {"window": "2020-12-10 – …"}}]
        if state == "rejected"
        else [],
        "location_source": source if state == "accepted" else "",
        "location_latitude": (lat if lat is not None else station.latitude) if state == "accepted" else None,
        "location_longitude": (lon if lon is not None else station.longitude) if state == "accepted" else None,
        "geo_region_id": region.pk if state == "accepted" else None,
        "geo_district_id": station.district_id if state == "accepted" else None,
        "geo_settlement": station.settlement if state == "accepted" else "",
        "geo_admin_area": "",
        "settlement_distance_m": None,
        "nearest_station_id": station.pk if state == "accepted" else None,
        "nearest_station_distance_m": (distance or 0.0) if state == "accepted" else None,
        "claimed_station_distance_m": (distance or 0.0) if state == "accepted" else None,
        "risk_score": risk,
        "triage_status": triage,
        "assignee_id": assignee,
        "decided_by_id": assignee if decided else None,
        "decided_at": received + dt.timedelta(minutes=20) if decided else None,
        "triage_version": 0 if triage == "new" else 2,
        "created_at": received,
        "updated_at": received,
    }
    return report, flag_rows, photo_rows


_TRIAGE_STATUSES = [status for status, _weight in TRIAGE_MIX]
_TRIAGE_CUMULATIVE = list(accumulate(weight for _status, weight in TRIAGE_MIX))


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
