"""factory_boy factories for the domain. Observers are created through the
service (`observer_create`) so their groups and admin access are right."""

import datetime as dt
import zoneinfo

import factory
from factory.django import DjangoModelFactory

from monitoring.models import Accreditation, Deployment, District, Election, ObserverOrganization, PollingStation, Region
from monitoring.services import observer_create

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


class ElectionFactory(DjangoModelFactory):
    class Meta:
        model = Election
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test-election-{n}")
    name = factory.LazyAttribute(lambda o: f"Election {o.code}")
    voting_day = dt.date(2021, 1, 10)
    polls_open = dt.time(7, 0)
    polls_close = dt.time(20, 0)
    observation_starts_at = dt.datetime(2020, 12, 10, tzinfo=ALMATY)
    observation_ends_at = None
    status = Election.Status.OPEN


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"region-{n}")
    name_en = factory.LazyAttribute(lambda o: f"Region {o.code}")
    name_ru = factory.LazyAttribute(lambda o: f"Регион {o.code}")
    name_kk = factory.LazyAttribute(lambda o: f"Аймақ {o.code}")
    timezone = "Asia/Almaty"
    geonames_admin1 = factory.LazyFunction(list)


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"district-{n}")
    name_en = factory.LazyAttribute(lambda o: f"District {o.code}")


class PollingStationFactory(DjangoModelFactory):
    class Meta:
        model = PollingStation

    election = factory.SubFactory(ElectionFactory)
    code = factory.Sequence(lambda n: f"{n:05d}")
    name = factory.LazyAttribute(lambda o: f"Polling station No. {o.code}")
    address = "Abai avenue 1"
    settlement = "Almaty"
    district = factory.SubFactory(DistrictFactory)
    latitude = 43.25249
    longitude = 76.9115
    registered_voters = 1500


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = ObserverOrganization

    name = factory.Sequence(lambda n: f"Observer organization {n}")
    kind = ObserverOrganization.Kind.DOMESTIC_NGO


class AccreditationFactory(DjangoModelFactory):
    class Meta:
        model = Accreditation

    organization = factory.SubFactory(OrganizationFactory)
    election = factory.SubFactory(ElectionFactory)
    number = factory.Sequence(lambda n: f"ACC-{n:05d}")
    valid_from = dt.datetime(2020, 12, 10, tzinfo=ALMATY)
    valid_until = dt.datetime(2030, 12, 31, tzinfo=ALMATY)
    status = Accreditation.Status.ACTIVE
    revoked_at = factory.LazyAttribute(
        lambda o: None if o.status == Accreditation.Status.ACTIVE else dt.datetime(2021, 1, 5, tzinfo=ALMATY)
    )


class DeploymentFactory(DjangoModelFactory):
    class Meta:
        model = Deployment


_user_counter = iter(range(1, 10**9))


def make_observer(organization=None, role="observer", username=None, password="correct horse battery"):
    username = username or f"{role}-{next(_user_counter)}"
    return observer_create(username=username, password=password, organization=organization, role=role, badge_number=f"B-{username}")
