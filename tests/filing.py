"""Reports for triage and export tests, filed the real way: through the intake
service (content hash, chain link, photos) and the pipeline (geotag, flags)."""

import datetime as dt
import uuid

from monitoring.models import Observer
from reports.models import IncidentCategory, IncidentReport
from reports.services import ReportInput, report_process, report_submit
from testkit.factories import ALMATY
from tests.conftest import jpeg_bytes


def file_report(
    world,
    *,
    observer: Observer | None = None,
    station=None,
    category: str = "carousel_voting",
    description: str = "Same group of voters came back a second time.",
    occurred_at: dt.datetime | None = None,
    latitude: float | None = 43.2527,
    longitude: float | None = 76.9118,
    accuracy_m: float | None = 12.0,
    photos: int = 0,
    severity: str | None = None,
    process: bool = True,
) -> IncidentReport:
    observer = observer or world.observer
    data = ReportInput(
        client_uuid=uuid.uuid4(),
        election=world.election,
        station=station or world.station,
        category=IncidentCategory.objects.get(code=category),
        severity=severity,
        occurred_at=occurred_at or dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY),
        description=description,
        latitude=latitude,
        longitude=None if latitude is None else longitude,
        accuracy_m=None if latitude is None else accuracy_m,
    )
    images = [jpeg_bytes(colour=(10 * i, 200, 30)) for i in range(photos)]
    report = report_submit(observer=observer, data=data, photos=images).report
    if process:
        report_process(report_id=report.pk)
    return IncidentReport.objects.get(pk=report.pk)
