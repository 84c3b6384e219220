"""Fixtures for pipeline tests on the database: file a report through the real
intake service, as if received at a chosen moment, and snapshot what the
pipeline stored."""

import datetime as dt

import pytest

from reports.models import IncidentReport
from testkit.factories import ALMATY
from tests import filing


def at(hour: int, minute: int = 0, *, day: int = 10, zone=ALMATY) -> dt.datetime:
    return dt.datetime(2021, 1, day, hour, minute, tzinfo=zone)


@pytest.fixture
def file_report(world):
    """tests.filing.file_report for the world, received four minutes after the
    incident (unless said otherwise) and not processed: tests call
    `report_process` themselves."""

    def file(observer=None, **kwargs) -> IncidentReport:
        kwargs.setdefault("received_after", dt.timedelta(minutes=4))
        return filing.file_report(world, observer=observer, process=False, **kwargs)

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
