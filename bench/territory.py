"""A benchmark territory: an election with thousands of polling stations at real
Kazakh settlements (offline GeoNames, more stations in bigger places),
accredited organizations with coordinators, and observers each deployed at one
station. testkit.bulk files reports into it.

    territory = build_territory(election_code="bench-1m", stations=4000, observers=2000)
    bulk_reports(territory, count=1_000_000)
"""

import datetime as dt
import math
import random
import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from monitoring.models import Accreditation, Deployment, District, Election, Observer, ObserverOrganization, PollingStation, new_public_code
from reports.models import IncidentCategory
from testkit.bulk import Territory, territory_from

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


def build_territory(
    *, election_code: str, stations: int = 2000, observers: int = 600, organizations: int = 3, seed: int = 2021
) -> Territory:
    """The election `election_code` with its stations, organizations and observers;
    an election that already has stations is reused as it is."""
    from reports.taxonomy import taxonomy_sync

    taxonomy_sync(IncidentCategory)
    election = Election.objects.filter(code=election_code).first()
    if election is not None and election.stations.exists():
        return territory_from(election)
    rng = random.Random(seed)
    with transaction.atomic():
        election = Election.objects.create(
            code=election_code,
            name=f"Benchmark election {election_code}",
            voting_day=dt.date(2021, 1, 10),
            polls_open=dt.time(7, 0),
            polls_close=dt.time(20, 0),
            observation_starts_at=dt.datetime(2020, 12, 10, tzinfo=ALMATY),
        )
        _stations(election, stations, rng)
        organizations = _organizations(election, organizations)
        _observers(election, organizations, observers, rng)
    return territory_from(election)


def _stations(election: Election, count: int, rng: random.Random) -> None:
    """About `count` stations, one district per settlement; stations per
    settlement grow (sub-linearly) with its population."""
    from monitoring.demo import load_regions
    from monitoring.gazetteer import load_settlements

    regions = load_regions()
    admin1 = {a: r for r in regions.values() for a in r.geonames_admin1}
    settlements = [s for s in load_settlements(["KZ"]) if s.admin1 in admin1]
    weights = [math.sqrt(max(s.population, 500)) for s in settlements]
    total = sum(weights)
    districts = {}
    rows = []
    for settlement, weight in zip(settlements, weights, strict=True):
        region = admin1[settlement.admin1]
        key = (region.pk, f"gn-{settlement.geonameid}")
        districts.setdefault(key, District(region=region, code=key[1], name_en=settlement.name, name_ru=settlement.name_ru))
        for k in range(max(1, round(count * weight / total))):
            bearing, radius = rng.uniform(0, 2 * math.pi), 0 if k == 0 else rng.uniform(300, 4000)
            lat = settlement.latitude + radius * math.cos(bearing) / 111_320.0
            lon = settlement.longitude + radius * math.sin(bearing) / (111_320.0 * math.cos(math.radians(settlement.latitude)))
            rows.append((key, len(rows) + 1, settlement, round(lat, 6), round(lon, 6)))
    codes = [code for _region, code in districts]
    existing = set(District.objects.filter(code__in=codes).values_list("region_id", "code"))
    District.objects.bulk_create([d for key, d in districts.items() if key not in existing], batch_size=1000)
    by_key = {(d.region_id, d.code): d for d in District.objects.filter(code__in=codes)}
    PollingStation.objects.bulk_create(
        [
            PollingStation(
                election=election,
                code=f"{code:05d}",
                name=f"Polling station No. {code:05d}",
                address=settlement.name,
                settlement=settlement.name,
                district=by_key[key],
                latitude=lat,
                longitude=lon,
                registered_voters=rng.randint(300, 3000),
            )
            for key, code, settlement, lat, lon in rows
        ],
        batch_size=2000,
    )


def _organizations(election: Election, count: int) -> list[ObserverOrganization]:
    organizations = []
    for n in range(count):
        organization, _ = ObserverOrganization.objects.get_or_create(name=f"{election.code} observers {n + 1}")
        Accreditation.objects.get_or_create(
            organization=organization,
            election=election,
            defaults=dict(
                number=f"{election.code}-{n + 1:03d}",
                valid_from=dt.datetime(2020, 12, 10, tzinfo=ALMATY),
                valid_until=dt.datetime(2030, 12, 31, tzinfo=ALMATY),
            ),
        )
        organizations.append(organization)
    return organizations


def _observers(election: Election, organizations: list, count: int, rng: random.Random) -> None:
    """`count` field observers spread over the organizations, each deployed at a
    random station, and three coordinators per organization. Users get no
    usable password: hashing would dominate the time."""
    prefix = f"{election.code}-"
    people = [(f"{prefix}obs-{i:06d}", organizations[i % len(organizations)], Observer.Role.OBSERVER) for i in range(count)]
    people += [(f"{prefix}coord-{o.pk}-{j}", o, Observer.Role.COORDINATOR) for o in organizations for j in range(3)]
    user_model = get_user_model()
    unusable = make_password(None)
    user_model.objects.bulk_create([user_model(username=u, password=unusable) for u, _o, _r in people], batch_size=2000)
    users = dict(user_model.objects.filter(username__startswith=prefix).values_list("username", "pk"))
    Observer.objects.bulk_create(
        [Observer(user_id=users[u], organization=o, role=r, public_code=new_public_code()) for u, o, r in people], batch_size=2000
    )
    station_ids = list(election.stations.values_list("pk", flat=True))
    Deployment.objects.bulk_create(
        [
            Deployment(observer=o, election=election, station_id=rng.choice(station_ids))
            for o in Observer.objects.filter(user__username__startswith=f"{prefix}obs-").order_by("user__username")
        ],
        batch_size=2000,
    )
