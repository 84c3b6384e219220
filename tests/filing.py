"""The one way tests file a report or a check-in through the real intake
service: content hash, chain link, photo processing, the `submitted` audit
event, and the pipeline enqueued on commit. For rows without any of that, use
testkit.factories; for a large generated queue, testkit.bulk."""

import datetime as dt
import uuid

from monitoring.models import Observer
from reports.models import CheckIn, IncidentCategory, IncidentReport, Submission
from reports.services.intake import CheckInInput, ReportInput, SubmissionInput, submission_submit
from reports.services.pipeline import report_process
from testkit.factories import ALMATY
from testkit.images import jpeg_bytes

DESCRIPTION = "Same group of voters came back a second time."
# 30 m from the world's station 02001, a good fix.
NEAR_STATION = (43.2527, 76.9118, 12.0)


def file_report(
    world=None,
    *,
    observer: Observer | None = None,
    election=None,
    station=None,
    category: str = "carousel_voting",
    severity: str | None = None,
    occurred_at: dt.datetime | None = None,
    description: str = DESCRIPTION,
    gps: tuple[float, float, float] | None = NEAR_STATION,
    photos: int | list[bytes] = 0,
    amends: IncidentReport | None = None,
    client_uuid: uuid.UUID | None = None,
    received_after: dt.timedelta | None = None,
    received_at: dt.datetime | None = None,
    process: bool = True,
    source: str = "api",
) -> IncidentReport:
    """File a report as `observer` (default: the world's observer at the world's
    station, carousel voting at 09:30 Almaty time on voting day). `gps` is
    (latitude, longitude, accuracy in metres) or None; `photos` a number of
    plain JPEGs or the bytes of each.

    Intake stamps the real clock as the time of receipt; `received_after` (after
    the incident) or `received_at` says when the story has it arrive instead.
    With `process`, the pipeline runs at once, in this process; without, the
    report stays `received` (and goes to the worker on commit where there is one).
    `source` is the door it came in by (api, web, sms)."""
    station = station or world.station
    occurred_at = occurred_at or dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY)
    latitude, longitude, accuracy = gps or (None, None, None)
    if isinstance(photos, int):
        photos = [jpeg_bytes(colour=(10 * i, 200, 30)) for i in range(photos)]
    data = ReportInput(
        client_uuid=client_uuid or uuid.uuid4(),
        election=election or world.election,
        station=station,
        category=IncidentCategory.objects.get(code=category),
        severity=severity,
        occurred_at=occurred_at,
        description=description,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy,
        amends=amends,
    )
    return _file(
        world,
        data,
        observer=observer,
        photos=photos,
        received_after=received_after,
        received_at=received_at,
        process=process,
        source=source,
    )


def file_checkin(
    world=None,
    *,
    observer: Observer | None = None,
    election=None,
    station=None,
    kind: str = "arrived",
    occurred_at: dt.datetime | None = None,
    gps: tuple[float, float, float] | None = NEAR_STATION,
    client_uuid: uuid.UUID | None = None,
    received_after: dt.timedelta | None = None,
    received_at: dt.datetime | None = None,
    process: bool = True,
) -> CheckIn:
    """Check in as `observer` (default: the world's observer, arrived at the
    world's station at 07:05 Almaty time on voting day, a good fix); the
    other arguments as for `file_report`."""
    occurred_at = occurred_at or dt.datetime(2021, 1, 10, 7, 5, tzinfo=ALMATY)
    latitude, longitude, accuracy = gps or (None, None, None)
    data = CheckInInput(
        client_uuid=client_uuid or uuid.uuid4(),
        election=election or world.election,
        station=station or world.station,
        occurred_at=occurred_at,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy,
        checkin_kind=kind,
    )
    return _file(world, data, observer=observer, received_after=received_after, received_at=received_at, process=process)


def _file(world, data: SubmissionInput, *, observer, photos=(), received_after, received_at, process, source="api") -> Submission:
    submission = submission_submit(observer=observer or world.observer, data=data, source=source, photos=list(photos)).submission
    if received_after is not None:
        received_at = data.occurred_at + received_after
    if received_at is not None:
        Submission.objects.filter(pk=submission.pk).update(received_at=received_at)
    if process:
        report_process(report_id=submission.pk)
    return data.proxy.objects.get(pk=submission.pk)
