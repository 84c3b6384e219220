"""Fixtures for pipeline tests on the database: file a report through the real
intake service, as if received at a chosen moment, and snapshot what the
pipeline stored."""

import datetime as dt
import uuid

import pytest

from reports.models import IncidentCategory, IncidentReport
from reports.services import ReportInput, report_submit
from testkit.factories import ALMATY


def at(hour: int, minute: int = 0, *, day: int = 10, zone=ALMATY) -> dt.datetime:
    return dt.datetime(2021, 1, day, hour, minute, tzinfo=zone)


@pytest.fixture
def file_report(world):
    """File a report through intake (photos included) and pretend it was received
    `received_after` after the incident (intake stamps the real clock). The
    pipeline is not run: tests call `report_process` themselves."""

    def file(
        observer=None,
        *,
        station=None,
        category="carousel_voting",
        occurred_at=None,
        description="Same group of voters came back a second time.",
        gps=(43.2527, 76.9118, 12.0),
        photos=(),
        received_after=dt.timedelta(minutes=4),
        amends=None,
    ) -> IncidentReport:
        observer = observer or world.observer
        station = station or world.station
        occurred_at = occurred_at or at(9, 30)
        latitude, longitude, accuracy = gps if gps else (None, None, None)
        data = ReportInput(
            client_uuid=uuid.uuid4(),
            election=world.election,
            station=station,
            category=IncidentCategory.objects.get(code=category),
            severity=None,
            occurred_at=occurred_at,
            description=description,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=accuracy,
            amends=amends,
        )
        report = report_submit(observer=observer, data=data, photos=list(photos)).report
        IncidentReport.objects.filter(pk=report.pk).update(received_at=occurred_at + received_after)
        return IncidentReport.objects.get(pk=report.pk)

    return file


FK = {"geo_region", "geo_district", "nearest_station"}


def pipeline_snapshot(report_ids, *, timestamps: bool = True) -> dict:
    """Everything the pipeline writes about these reports, comparable between
    runs (with `timestamps`, also when each flag row was raised and last written)."""
    from reports.models import Flag
    from reports.services.pipeline import REPORT_PIPELINE_FIELDS

    ids = [str(i) for i in report_ids]
    columns = [f"{f}_id" if f in FK else f for f in REPORT_PIPELINE_FIELDS if f not in ("processed_at", "updated_at")]
    reports = {str(r.pop("id")): r for r in IncidentReport.objects.filter(pk__in=ids).values("id", *columns)}
    flag_columns = ["report_id", "code", "severity", "explanation", "params", "state"] + (["raised_at", "updated_at"] if timestamps else [])
    flags = {(str(f["report_id"]), f["code"]): f for f in Flag.objects.filter(report_id__in=ids).values(*flag_columns)}
    return {"reports": reports, "flags": flags}
