"""Demo reports: plausible election-day incidents filed through the same
service the API uses (`submission_submit`), so they travel the whole pipeline.

Deterministic: report i always has the same client_uuid and content, so
running the generator twice files nothing new.
"""

import datetime as dt
import math
import random
import uuid
import zoneinfo

from django.db import transaction

from monitoring.models import Deployment, Election, Observer, ObserverOrganization, PollingStation
from monitoring.services import observer_create

from .models import IncidentCategory, SubmissionSource
from .services.intake import ReportInput, submission_submit

NAMESPACE = uuid.UUID("6f1c6a52-3f57-4c8e-9a57-2021011000a1")
FIELD_TEAM_ORGS = ["Civic Observers of Kazakhstan", "Steppe International Observation Mission"]

# Relative frequency of categories on election day (rough shape of past reports).
CATEGORY_WEIGHTS = {
    "voter_list_problem": 14,
    "campaigning_at_station": 10,
    "group_voting": 10,
    "unauthorized_persons": 9,
    "video_camera_off": 8,
    "voting_without_id": 7,
    "secrecy_violated": 6,
    "observer_obstructed": 5,
    "carousel_voting": 5,
    "mobile_ballot_box_abuse": 4,
    "protocol_not_posted": 4,
    "count_not_transparent": 4,
    "intimidation": 3,
    "vote_buying": 3,
    "ballot_box_not_sealed": 3,
    "station_opened_late": 3,
    "ballot_stuffing": 2,
    "protocol_inconsistent": 2,
    "violence": 1,
    "administrative_pressure": 1,
    "other": 6,
}

DESCRIPTIONS = [
    "Seen at {hour}: {what}.",
    "{what}. Commission chair informed, no reaction.",
    "{what}; two other observers witnessed it.",
    "Около {hour}: {what_ru}.",
    "Сағат {hour} шамасында: {what_kk}.",
]


def _local_time(rng: random.Random, phase: str, day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Incidents cluster at opening (07:00) and closing (20:00) local time."""
    if phase == "opening":
        minutes = rng.gauss(6.75 * 60, 25)
    elif phase in ("counting", "tabulation"):
        minutes = rng.gauss(21 * 60, 45)
    elif phase == "pre_election":
        minutes = rng.uniform(7 * 60, 19 * 60)
    else:
        minutes = rng.choice([rng.gauss(8 * 60, 50), rng.gauss(13 * 60, 120), rng.gauss(19 * 60, 40)])
    minutes = min(max(minutes, 5 * 60), 23 * 60 + 50)
    return dt.datetime.combine(day, dt.time(int(minutes // 60), int(minutes % 60)), tzinfo=zone)


def _jitter(rng: random.Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    return (
        lat + metres * math.cos(bearing) / 111_320.0,
        lon + metres * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat))),
    )


def _field_team(election: Election, size: int, rng: random.Random) -> list[Observer]:
    """The demo's named observers plus generated ones (no usable password), each
    deployed to one station."""
    team = list(
        Observer.objects.filter(user__username__in=["demo-observer", "demo-observer-2", "demo-observer-other"]).select_related(
            "organization"
        )
    )
    organizations = list(ObserverOrganization.objects.filter(name__in=FIELD_TEAM_ORGS).order_by("name"))
    station_ids = list(PollingStation.objects.filter(election=election).order_by("code").values_list("pk", flat=True))
    for n in range(1, size + 1):
        username = f"demo-field-{n:03d}"
        observer = Observer.objects.filter(user__username=username).first()
        if observer is None:
            observer = observer_create(
                username=username, password=None, organization=organizations[n % len(organizations)], badge_number=f"F-{n:03d}"
            )
            Deployment.objects.create(observer=observer, election=election, station_id=rng.choice(station_ids))
        team.append(observer)
    return team


def generate_reports(*, election: Election, count: int, seed: int = 2021) -> tuple[int, int]:
    """File `count` demo reports. Returns (created, already present)."""
    if count <= 0:
        return 0, 0
    rng = random.Random(seed)
    with transaction.atomic():
        team = _field_team(election, size=min(60, max(5, count // 8)), rng=rng)
    categories = {c.code: c for c in IncidentCategory.objects.filter(is_active=True)}
    codes = [c for c in CATEGORY_WEIGHTS if c in categories]
    weights = [CATEGORY_WEIGHTS[c] for c in codes]
    posts = {
        d.observer_id: d.station
        for d in Deployment.objects.filter(election=election, station__isnull=False).select_related("station__district__region")
    }
    all_stations = list(PollingStation.objects.filter(election=election).select_related("district__region"))
    created = existing = 0
    for i in range(count):
        r = random.Random(f"{seed}-{i}")
        observer = team[i % len(team)]
        station = posts.get(observer.pk) if r.random() < 0.9 else None
        station = station or r.choice(all_stations)
        category = categories[r.choices(codes, weights)[0]]
        zone = zoneinfo.ZoneInfo(station.district.region.timezone)
        occurred = _local_time(r, category.phase, election.voting_day, zone)
        location_roll = r.random()
        if location_roll < 0.78:
            lat, lon = _jitter(r, station.latitude, station.longitude, abs(r.gauss(40, 40)))
            accuracy = round(r.uniform(5, 60), 1)
        elif location_roll < 0.88:
            lat, lon = _jitter(r, station.latitude, station.longitude, r.uniform(2_000, 25_000))
            accuracy = round(r.uniform(5, 40), 1)
        else:
            lat = lon = accuracy = None
        what = category.name_en.lower()
        description = r.choice(DESCRIPTIONS).format(
            hour=occurred.strftime("%H:%M"), what=what, what_ru=category.name_ru.lower(), what_kk=category.name_kk.lower()
        )
        data = ReportInput(
            client_uuid=uuid.uuid5(NAMESPACE, f"{election.code}-{seed}-{i}"),
            election=election,
            station=station,
            category=category,
            severity=None,
            occurred_at=occurred,
            description=description,
            latitude=None if lat is None else round(lat, 6),
            longitude=None if lon is None else round(lon, 6),
            accuracy_m=accuracy,
        )
        result = submission_submit(observer=observer, data=data, source=SubmissionSource.API)
        created += result.created
        existing += not result.created
    return created, existing
