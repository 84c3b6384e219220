"""Photos at intake: the original's SHA-256, EXIF GPS and capture time kept in
the database, a stored copy without any EXIF, bombs and non-images refused
with a 400 before anything is stored."""

import datetime as dt
import hashlib
import io

import pytest
from PIL import Image

from reports.models import Attachment, IncidentReport
from reports.photos import PhotoRejected, process_photo
from testkit.images import photo_with_exif
from tests.conftest import report_payload


def test_exif_gps_and_capture_time_are_kept_and_stripped_from_the_stored_copy(world, post_report):
    original = photo_with_exif(
        latitude=43.2526, longitude=76.9117, taken_local=dt.datetime(2021, 1, 10, 9, 29, 10), offset="+06:00", make="PhoneMaker"
    )
    response = post_report(world.observer, report_payload(world), photos=[original])

    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(original).hexdigest() == response.json()["photos"][0]["sha256"]
    assert (attachment.exif_latitude, attachment.exif_longitude) == (pytest.approx(43.2526, abs=1e-6), pytest.approx(76.9117, abs=1e-6))
    assert attachment.exif_taken_at == dt.datetime(2021, 1, 10, 3, 29, 10, tzinfo=dt.UTC)
    with attachment.file.open("rb") as fh:
        stored = fh.read()
    assert hashlib.sha256(stored).hexdigest() == attachment.stored_sha256 != attachment.sha256
    assert b"PhoneMaker" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_camera_time_without_offset_is_read_on_the_stations_clock_of_that_date(world, post_report):
    # An Aktobe camera at 08:00 without OffsetTimeOriginal: UTC+5 in January 2021.
    photo = photo_with_exif(taken_local=dt.datetime(2021, 1, 10, 8, 0))
    response = post_report(world.observer, report_payload(world, station=world.station_west.code), photos=[photo])
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.exif_taken_at == dt.datetime(2021, 1, 10, 3, 0, tzinfo=dt.UTC)
    assert attachment.exif_taken_at_local.replace(tzinfo=None) == dt.datetime(2021, 1, 10, 8, 0)


def _png(size) -> bytes:
    out = io.BytesIO()
    Image.new("L", size).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("size", [(1200, 1000), (3000, 3000)])  # above the limit; above twice the limit
def test_decompression_bombs_are_refused_with_400_and_nothing_is_stored(world, post_report, settings, size):
    settings.MAX_PHOTO_PIXELS = 1_000_000
    bomb = _png(size)
    assert len(bomb) < 50_000  # tiny on the wire, huge in memory

    response = post_report(world.observer, report_payload(world), photos=[photo_with_exif(), bomb])

    assert response.status_code == 400
    assert "pixels" in response.json()["photos"][0] or "too large" in response.json()["photos"][0]
    assert IncidentReport.objects.count() == 0 and Attachment.objects.count() == 0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4 not a photo", "not a readable image"),
        (b"", "empty"),
    ],
)
def test_non_images_are_refused(data, message):
    with pytest.raises(PhotoRejected, match=message):
        process_photo(data)


def test_gif_is_not_an_accepted_format():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    with pytest.raises(PhotoRejected, match="Unsupported image format GIF"):
        process_photo(out.getvalue())


def test_impossible_gps_is_ignored_not_fatal():
    from PIL import ExifTags

    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (100.0, 0.0, 0.0), 3: "E", 4: (76.0, 0.0, 0.0)}  # latitude 100°
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="JPEG", exif=exif.tobytes())
    processed = process_photo(out.getvalue())
    assert (processed.exif_latitude, processed.exif_longitude) == (None, None)
