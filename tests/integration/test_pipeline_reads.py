"""The pipeline's combined read on PostgreSQL (`side_facts`: accreditations,
photos, regions and the deployment in one statement) gives exactly what the
four ORM queries it replaces give (`side_facts_orm`, which SQLite runs), in the
same order, for reports with and without photos, several accreditations, and
an observer deployed by station, by district, by region or not at all."""

import datetime as dt

import pytest

from monitoring.models import Deployment, Region
from reports.pipeline_reads import side_facts, side_facts_orm
from testkit.factories import ALMATY, AccreditationFactory, DeploymentFactory, DistrictFactory, PollingStationFactory
from testkit.images import photo_with_exif
from tests.filing import file_report

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def comparable(side) -> tuple:
    regions = [(r.pk, r.code, list(r.geonames_admin1 or [])) for r in side.regions]
    return side.accreditations, side.photos, regions, side.deployed


def test_the_combined_read_equals_the_orm_reads(world):
    Region.objects.filter(pk=world.station.district.region_id).update(geonames_admin1=["KZ.02", "KZ.01"])
    AccreditationFactory(
        organization=world.accreditation.organization,
        election=world.election,
        status="suspended",
        revoked_at=dt.datetime(2021, 1, 10, 8, 0, tzinfo=ALMATY),
    )
    photos = [
        photo_with_exif(latitude=43.25, longitude=76.91, taken_local=dt.datetime(2021, 1, 10, 9, 0), offset="+06:00"),
        photo_with_exif(colour=(10, 10, 10)),  # no EXIF fix or time
        photo_with_exif(latitude=43.30, longitude=76.95, colour=(200, 10, 10)),
    ]
    with_photos = file_report(world, photos=photos, process=False)
    without = file_report(world, process=False)
    away = file_report(world, observer=world.observer_2, station=world.station_far, process=False)

    for report in (with_photos, without, away):
        report.refresh_from_db()
        assert comparable(side_facts(report)) == comparable(side_facts_orm(report))
    facts = side_facts(with_photos)
    assert len(facts.accreditations) == 2 and len(facts.photos) == 3 and facts.deployed
    assert [p.number for p in facts.photos] == [1, 2, 3] and facts.photos[1].latitude is None
    assert not side_facts(away).deployed  # observer 2 has no deployment

    # Deployed as a mobile team over the district, then over the region (a new
    # district of that region, so the district's id differs from the region's).
    plan = Deployment.objects.create(observer=world.observer_2, election=world.election, district=world.station_far.district)
    assert side_facts(away).deployed and side_facts_orm(away).deployed
    plan.delete()
    region = world.station_far.district.region
    station = PollingStationFactory(
        election=world.election, code="05999", district=DistrictFactory(region=region), latitude=51.17, longitude=71.43
    )
    elsewhere = file_report(world, observer=world.observer_2, station=station, process=False)
    assert station.district_id != region.pk
    assert not side_facts(elsewhere).deployed
    DeploymentFactory(observer=world.observer_2, election=world.election, region=region)
    for report in (away, elsewhere):
        report.refresh_from_db()
        assert side_facts(report).deployed and side_facts_orm(report).deployed
