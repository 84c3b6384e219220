"""Shared fixtures: a small election world and the personas every access test
speaks about (accredited observer, coordinator, auditor, observer of another
organization, observer of a revoked organization, an unaccredited one, a
platform auditor and a superuser)."""

import datetime as dt
import io
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from monitoring.models import Accreditation, Election, Observer, PollingStation
from testkit.factories import (
    ALMATY,
    AccreditationFactory,
    DeploymentFactory,
    DistrictFactory,
    ElectionFactory,
    OrganizationFactory,
    PollingStationFactory,
    RegionFactory,
    make_observer,
)

PASSWORD = "correct horse battery"
REPORTS = "/api/v1/reports/"
CHECKINS = "/api/v1/checkins/"
# Numbers a parameter may carry that look fine and are not: "²" passes
# str.isdigit() but int() refuses it; the other is beyond any database integer.
SUPERSCRIPT_TWO = "²"
HUGE = "99999999999999999999"


@dataclass
class World:
    election: Election
    station: PollingStation  # Almaty, where the observer is deployed
    station_far: PollingStation  # Nur-Sultan, ~970 km away
    station_west: PollingStation  # Aktobe, UTC+5 in 2021
    observer: Observer
    observer_2: Observer
    coordinator: Observer
    auditor: Observer
    other_observer: Observer
    other_coordinator: Observer
    revoked_observer: Observer
    unaccredited_observer: Observer
    platform_auditor: Observer
    superuser: object
    accreditation: Accreditation
    revoked_accreditation: Accreditation


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real password hashing is slow on purpose; the personas would dominate test time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware activates the request's language in the test's thread and
    # nothing resets it, so a request in Russian would leak into the next test.
    yield
    translation.deactivate()


@pytest.fixture
def world(db) -> World:
    from reports.models import IncidentCategory
    from reports.taxonomy import taxonomy_sync

    # Transactional tests flush tables, including the taxonomy the migration loaded.
    taxonomy_sync(IncidentCategory)
    election = ElectionFactory(code="kz-test-2021")
    almaty = RegionFactory(code="almaty", name_en="Almaty city", timezone="Asia/Almaty", geonames_admin1=["02"])
    astana = RegionFactory(code="nur-sultan", name_en="Nur-Sultan city", timezone="Asia/Almaty", geonames_admin1=["05"], aliases=["Astana"])
    aktobe = RegionFactory(code="aktobe", name_en="Aktobe Region", timezone="Asia/Aqtobe", geonames_admin1=["04"])
    station = PollingStationFactory(
        election=election, code="02001", district=DistrictFactory(region=almaty, code="almaly"), latitude=43.25249, longitude=76.9115
    )
    station_far = PollingStationFactory(
        election=election,
        code="05001",
        district=DistrictFactory(region=astana, code="yesil"),
        latitude=51.1801,
        longitude=71.44598,
        settlement="Astana",
    )
    station_west = PollingStationFactory(
        election=election,
        code="13001",
        district=DistrictFactory(region=aktobe, code="aktobe-city"),
        latitude=50.27969,
        longitude=57.20718,
        settlement="Aktobe",
    )

    org = OrganizationFactory(name="Civic Observers")
    other_org = OrganizationFactory(name="Other Mission")
    revoked_org = OrganizationFactory(name="Revoked Union")
    unaccredited_org = OrganizationFactory(name="Green Future")
    accreditation = AccreditationFactory(organization=org, election=election)
    AccreditationFactory(organization=other_org, election=election)
    revoked = AccreditationFactory(organization=revoked_org, election=election, status=Accreditation.Status.REVOKED, status_reason="test")

    observer = make_observer(org, "observer", "observer")
    observer_2 = make_observer(org, "observer", "observer-2")
    DeploymentFactory(observer=observer, election=election, station=station)
    superuser = get_user_model().objects.create_superuser("admin", password=PASSWORD)
    return World(
        election=election,
        station=station,
        station_far=station_far,
        station_west=station_west,
        observer=observer,
        observer_2=observer_2,
        coordinator=make_observer(org, "coordinator", "coordinator"),
        auditor=make_observer(org, "auditor", "auditor"),
        other_observer=make_observer(other_org, "observer", "other-observer"),
        other_coordinator=make_observer(other_org, "coordinator", "other-coordinator"),
        revoked_observer=make_observer(revoked_org, "observer", "revoked-observer"),
        unaccredited_observer=make_observer(unaccredited_org, "observer", "unaccredited-observer"),
        platform_auditor=make_observer(None, "auditor", "platform-auditor"),
        superuser=superuser,
        accreditation=accreditation,
        revoked_accreditation=revoked,
    )


def report_payload(world: World, **overrides) -> dict:
    """A valid API submission: ballot stuffing seen at the observer's station at
    09:30 Almaty time on voting day, GPS 30 m from the station."""
    payload = {
        "client_uuid": str(uuid.uuid4()),
        "election": world.election.code,
        "station": world.station.code,
        "category": "carousel_voting",
        "occurred_at": dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY).isoformat(),
        "description": "Same group of voters came back a second time.",
        "latitude": 43.2527,
        "longitude": 76.9118,
        "accuracy_m": 12.0,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def checkin_payload(world: World, **overrides) -> dict:
    """A valid check-in: arrived at the observer's station at 07:05 Almaty time
    on voting day, GPS 30 m from the station."""
    payload = {
        "client_uuid": str(uuid.uuid4()),
        "election": world.election.code,
        "station": world.station.code,
        "kind": "arrived",
        "occurred_at": dt.datetime(2021, 1, 10, 7, 5, tzinfo=ALMATY).isoformat(),
        "latitude": 43.2527,
        "longitude": 76.9118,
        "accuracy_m": 12.0,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def as_user(api_client):
    """api_client authenticated as the given Observer or user."""

    def login(who):
        user = who.user if isinstance(who, Observer) else who
        api_client.force_authenticate(user=user)
        return api_client

    return login


@pytest.fixture
def admin_as(client):
    """The Django test client logged in as the given Observer or user."""

    def login(who):
        client.force_login(who.user if isinstance(who, Observer) else who)
        return client

    return login


@pytest.fixture
def queue_of(world):
    """`queue_of(n)`: n generated reports (testkit.bulk, the benchmarks' generator)
    of the world's organization (observer and observer-2), with flags, photo
    records, assignees and triage decisions. Returns how many were written."""
    from testkit.bulk import bulk_reports, territory_from

    def make(count: int, seed: int = 5):
        territory = territory_from(world.election, observers=[world.observer, world.observer_2])
        territory.coordinators = {world.coordinator.organization_id: [world.coordinator.user_id]}
        return bulk_reports(territory, count=count, seed=seed)

    return make


@pytest.fixture
def post_report(as_user, django_capture_on_commit_callbacks):
    """POST a report to the API as `who` and run what waits for the commit (the
    pipeline, eagerly): JSON, or multipart with `photos` (the bytes of each file)."""

    def post(who, payload: dict, *, photos=()):
        if photos:
            payload = {**payload, "photos": [_upload(data, f"p{i}.jpg") for i, data in enumerate(photos)]}
        with django_capture_on_commit_callbacks(execute=True):
            return as_user(who).post(REPORTS, payload, format="multipart" if photos else "json")

    return post


def _upload(data: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


@pytest.fixture(autouse=True)
def _fresh_reference_caches():
    """Each test starts with empty short-lived caches (`monitoring.shortlived`):
    its elections and categories are new rows under the same codes."""
    from monitoring.shortlived import forget_all

    forget_all()
    yield
    forget_all()
