"""factory_boy factories for the domain.

Observers are created through the service (`observer_create`) so their groups
and admin access are right. Reports, flags, photos and audit events are rows
written directly: no intake checks, no pipeline, and a report made here is not
in its election's hash chain. A test that needs what intake computes (the
chain, photo processing, the audit trail of a submission) files through
tests/filing.py instead.

`SubmissionFactory` is what every kind of record an observer sends from a
station shares (who, where, when, the phone's idempotency key and fix); each
kind of submission subclasses it, as `IncidentReportFactory` and
`CheckInFactory` do, with its proxy as the model (which sets the kind).
"""

import datetime as dt
import hashlib
import io
import uuid
import zoneinfo

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from monitoring.localtime import format_utc
from monitoring.models import Accreditation, Deployment, District, Election, Observer, ObserverOrganization, PollingStation, Region
from monitoring.services import observer_create
from reports import integrity, rules
from reports.models import Attachment, CheckIn, Flag, IncidentCategory, IncidentReport, ReportEvent
from testkit.images import jpeg_bytes

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


class ObserverFactory(factory.Factory):
    """An observer (with its user) made by `observer_create`; by default a field
    observer of a new organization, with the tests' password."""

    class Meta:
        model = Observer

    organization = factory.SubFactory(OrganizationFactory)
    role = Observer.Role.OBSERVER
    username = factory.LazyAttributeSequence(lambda o, n: f"{o.role}-{n:05d}")
    password = "correct horse battery"

    @classmethod
    def _create(cls, model_class, *, organization, role, username, password):
        return observer_create(username=username, password=password, organization=organization, role=role, badge_number=f"B-{username}")


def make_observer(organization=None, role="observer", username=None, password="correct horse battery"):
    """An observer of `organization` (None: a platform-wide account) in `role`."""
    names = {"username": username} if username else {}
    return ObserverFactory(organization=organization, role=role, password=password, **names)


class SubmissionFactory(DjangoModelFactory):
    """A submission of an observer at a station: by default the observer's own
    organization, an election of that station, a fix 30 m from the station,
    at 09:30 Almaty time on voting day, received four minutes later."""

    class Meta:
        abstract = True

    election = factory.SubFactory(ElectionFactory)
    station = factory.SubFactory(PollingStationFactory, election=factory.SelfAttribute("..election"))
    submitted_by = factory.SubFactory(ObserverFactory)
    organization = factory.SelfAttribute("submitted_by.organization")
    source = "api"
    client_uuid = factory.LazyFunction(uuid.uuid4)
    occurred_at = dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY)
    received_at = factory.LazyAttribute(lambda o: o.occurred_at + dt.timedelta(minutes=4))
    latitude = factory.LazyAttribute(lambda o: o.station.latitude + 0.0002)
    longitude = factory.LazyAttribute(lambda o: o.station.longitude + 0.0003)
    accuracy_m = 12.0


def _common_content(submission) -> dict:
    return dict(
        client_uuid=str(submission.client_uuid),
        observer_code=submission.submitted_by.public_code,
        election_code=submission.election.code,
        station_code=submission.station.code,
        occurred_at_utc=format_utc(submission.occurred_at),
        latitude=submission.latitude,
        longitude=submission.longitude,
        accuracy_m=submission.accuracy_m,
    )


def report_content_sha256(report, **changes) -> str:
    """The content hash intake fixes for `report`'s submitted fields (its
    photos' too, once stored), with `changes` to some of them (the common
    fields by their `integrity.canonical_content` names, the incident's by
    `integrity.incident_content`'s). `report` is a report, or the factory's
    view of one being built."""
    amends = getattr(report, "amends", None)
    stored = hasattr(report, "_state") and not report._state.adding
    common = _common_content(report)
    own = dict(
        category_code=report.category.code,
        severity=report.severity,
        description=report.description,
        amends=str(amends.pk) if amends else None,
        photo_sha256s=list(report.attachments.values_list("sha256", flat=True)) if stored else [],
    )
    common.update({k: v for k, v in changes.items() if k in common})
    own.update({k: v for k, v in changes.items() if k not in common})
    return integrity.content_sha256(**common, content=integrity.incident_content(**own))


def checkin_content_sha256(checkin) -> str:
    """The content hash intake fixes for a check-in (or the factory's view of one)."""
    return integrity.content_sha256(**_common_content(checkin), content=integrity.checkin_content(checkin_kind=checkin.checkin_kind))


def accepted_on_site() -> dict:
    """What the pipeline stores for a submission it accepted with its device's
    fix near the station (no flags): the `accepted` trait of every kind."""
    return dict(
        state="accepted",
        processing_attempts=1,
        processing_started_at=factory.SelfAttribute("received_at"),
        processed_at=factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(seconds=2)),
        location_source="device_gps",
        location_latitude=factory.SelfAttribute("latitude"),
        location_longitude=factory.SelfAttribute("longitude"),
        geo_region=factory.SelfAttribute("station.district.region"),
        geo_district=factory.SelfAttribute("station.district"),
        geo_settlement=factory.SelfAttribute("station.settlement"),
        nearest_station=factory.SelfAttribute("station"),
        nearest_station_distance_m=30.0,
        claimed_station_distance_m=30.0,
    )


class IncidentReportFactory(SubmissionFactory):
    """An incident report as intake leaves it (`received`, triage `new`); its
    content hash is right for a report without photos. The `accepted` trait
    gives it the geotag an ordinary report gets from the pipeline."""

    class Meta:
        model = IncidentReport

    class Params:
        category_code = "carousel_voting"
        accepted = factory.Trait(
            **accepted_on_site(),
            risk_score=factory.LazyAttribute(lambda o: rules.risk_score(severity=o.severity, flags=())),
        )

    category = factory.LazyAttribute(lambda o: IncidentCategory.objects.get(code=o.category_code))
    severity = factory.SelfAttribute("category.default_severity")
    description = "Same group of voters came back a second time."
    amends = None
    content_sha256 = factory.LazyAttribute(report_content_sha256)


class CheckInFactory(SubmissionFactory):
    """A check-in as intake leaves it (`received`): by default "arrived", with
    the right content hash. The `accepted` trait gives it the geotag of a fix
    30 m from the station."""

    class Meta:
        model = CheckIn

    class Params:
        accepted = factory.Trait(**accepted_on_site())

    checkin_kind = "arrived"
    content_sha256 = factory.LazyAttribute(checkin_content_sha256)


class FlagFactory(DjangoModelFactory):
    """An open flag raised when its report was received; the explanation is the
    rule's own text for `params`."""

    class Meta:
        model = Flag

    report = factory.SubFactory(IncidentReportFactory, accepted=True)
    code = "no_location"
    severity = "low"
    params = factory.LazyFunction(dict)
    explanation = factory.LazyAttribute(lambda o: rules.flag_text(o.code, o.params))
    raised_at = factory.SelfAttribute("report.received_at")


def _image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


class AttachmentFactory(DjangoModelFactory):
    """A photo of a report, its stored copy written to MEDIA_ROOT: `image` (JPEG
    bytes without EXIF, so original and stored copy are the same bytes)."""

    class Meta:
        model = Attachment
        exclude = ("image",)

    report = factory.SubFactory(IncidentReportFactory)
    image = factory.LazyFunction(jpeg_bytes)
    file = factory.LazyAttribute(lambda o: ContentFile(o.image, name="photo.jpg"))
    original_content_type = "image/jpeg"
    size = factory.LazyAttribute(lambda o: len(o.image))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.image).hexdigest())
    stored_sha256 = factory.SelfAttribute("sha256")
    width = factory.LazyAttribute(lambda o: _image_size(o.image)[0])
    height = factory.LazyAttribute(lambda o: _image_size(o.image)[1])
    position = factory.Sequence(lambda n: n)


class ReportEventFactory(DjangoModelFactory):
    """An audit event of a report: by default a note by the system, now."""

    class Meta:
        model = ReportEvent

    report = factory.SubFactory(IncidentReportFactory)
    actor = None
    at = factory.LazyFunction(timezone.now)
    action = ReportEvent.Action.NOTE
