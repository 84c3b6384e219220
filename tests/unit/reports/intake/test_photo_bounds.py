"""The work one request's photos may cost is bounded: a floor of bytes per
pixel for large images and a pixel budget per request (both checked from the
headers, before any pixel is decoded), decoding in a child process whose
memory is capped, a few decoders per process, and a per-user upload throttle.
What a gigabyte of memory looks like on gunicorn is
tests/integration/security/test_photo_bombs.py."""

import io
import math

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from reports import photos
from reports.models import Attachment, IncidentReport
from testkit.images import jpeg_bytes, sparse_png
from tests.conftest import report_payload

BOMB = sparse_png()  # 6,320 × 6,320 one-bit pixels in 4.9 KB


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def _padded(settings, size=(6320, 6320)) -> bytes:
    """The same kind of image, padded to just reach the bytes-per-pixel floor."""
    return sparse_png(size=size, pad_to=math.ceil(size[0] * size[1] * settings.PHOTO_MIN_BYTES_PER_PIXEL))


def test_a_tiny_png_of_forty_million_pixels_is_refused_before_decoding(world, post_report, settings):
    assert len(BOMB) < 5000 and settings.MAX_PHOTO_PIXELS >= 6320 * 6320  # it passes the per-photo cap
    response = post_report(world.observer, report_payload(world), photos=[BOMB])
    assert response.status_code == 400
    message = response.json()["photos"][0]
    assert "6320 × 6320 pixels" in message and "4.8 KB" in message and "bytes per pixel" in message
    assert IncidentReport.objects.count() == Attachment.objects.count() == 0


def test_the_web_form_says_why(world, client, settings):
    client.force_login(world.observer.user)
    data = dict(report_payload(world), occurred_at="2021-01-10T09:30", photos=[io.BytesIO(BOMB)])
    data["photos"][0].name = "bomb.png"
    page = client.post(reverse("web:report-new"), data).content.decode()
    assert "Photo rejected" in page and "bytes per pixel" in page
    assert IncidentReport.objects.count() == 0


def test_small_images_need_no_floor(settings):
    """The floor is for large images: a small one-colour photo is still a photo."""
    processed = photos.process_photo(sparse_png(size=(1600, 1200)))
    assert (processed.width, processed.height) == (1600, 1200)


def test_the_photos_of_one_request_share_a_pixel_budget(world, post_report, settings):
    padded = _padded(settings)
    assert 4 * 6320 * 6320 > settings.MAX_PHOTO_PIXELS_PER_REQUEST == 120_000_000
    response = post_report(world.observer, report_payload(world), photos=[padded] * 4)
    assert response.status_code == 400
    assert "may have 120 million pixels in all; these have 160 million" in response.json()["photos"][0]
    assert IncidentReport.objects.count() == 0

    response = post_report(world.observer, report_payload(world), photos=[padded] * 2)
    assert response.status_code == 201, response.content
    assert [(a.width, a.height) for a in Attachment.objects.all()] == [(6320, 6320)] * 2


def test_decoding_runs_under_a_memory_cap(world, post_report, settings):
    """The decoder process caps its own address space: an image that needs more
    fails there, and the request gets a 400 that says so."""
    settings.PHOTO_DECODE_MEMORY_MB = 64  # the 40 MPx image needs about 90 MB
    response = post_report(world.observer, report_payload(world), photos=[_padded(settings)])
    assert response.status_code == 400
    assert "too large to process" in response.json()["photos"][0]
    assert IncidentReport.objects.count() == 0

    settings.PHOTO_DECODE_MEMORY_MB = 384
    assert post_report(world.observer, report_payload(world), photos=[_padded(settings)]).status_code == 201


def test_the_decoder_turns_photos_upright(settings):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise on the sensor
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="JPEG", exif=exif.tobytes())
    processed = photos.process_photo(out.getvalue())
    assert (processed.width, processed.height) == (20, 40)
    stored = Image.open(io.BytesIO(processed.stored_bytes))
    assert stored.size == (20, 40) and stored.format == "JPEG" and not stored.getexif()


def test_a_busy_decoder_is_a_503_to_retry(world, post_report, monkeypatch):
    monkeypatch.setattr(photos, "DECODER_WAIT_SECONDS", 0.1)
    slots = photos._decoder_slots()
    taken = 0
    while slots.acquire(blocking=False):  # every decoder of this process busy
        taken += 1
    try:
        response = post_report(world.observer, report_payload(world), photos=[jpeg_bytes()])
    finally:
        for _ in range(taken):
            slots.release()
    assert response.status_code == 503 and response.json()["code"] == "photo_processing_busy"
    assert int(response["Retry-After"]) > 0
    assert IncidentReport.objects.count() == 0
    assert post_report(world.observer, report_payload(world), photos=[jpeg_bytes()]).status_code == 201


def test_photo_uploads_are_throttled_per_user(world, post_report, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "photos": "3/hour"},
    }
    photo = jpeg_bytes()
    assert post_report(world.observer, report_payload(world), photos=[photo, photo]).status_code == 201
    refused = post_report(world.observer, report_payload(world), photos=[photo, photo])
    assert refused.status_code == 429 and refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert IncidentReport.objects.count() == 1
    # Reports without photos are not photo uploads; another observer has their own allowance.
    assert post_report(world.observer, report_payload(world)).status_code == 201
    assert post_report(world.observer_2, report_payload(world), photos=[photo, photo]).status_code == 201

    client.force_login(world.observer.user)
    data = dict(report_payload(world), occurred_at="2021-01-10T09:30", photos=[io.BytesIO(photo), io.BytesIO(photo)])
    for n, upload in enumerate(data["photos"]):
        upload.name = f"p{n}.jpg"
    page = client.post(reverse("web:report-new"), data).content.decode()
    assert "Too many photos sent in a short time" in page
