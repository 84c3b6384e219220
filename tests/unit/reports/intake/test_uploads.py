"""Uploads at the intake doors (API and web form): files that are not photos,
too many files and too large bodies are refused before anything is stored,
and no copy served back carries the original's EXIF."""

import io
import struct
import zlib

import pytest
from django.urls import reverse
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from reports.models import Attachment, IncidentReport
from testkit.images import jpeg_bytes
from tests.conftest import report_payload

REPORTS = "/api/v1/reports/"


def _png_with_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims enormous dimensions (a decompression bomb's header)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X (serial 12345)"
    gps = {1: "N", 2: (43.0, 15.0, 9.0), 3: "E", 4: (76.0, 54.0, 42.0)}
    exif[0x8825] = gps
    return exif


HOSTILE_UPLOADS = {
    "decompression bomb": ("bomb.png", "image/png", _png_with_header_only(60000, 60000)),
    "truncated jpeg": ("cut.jpg", "image/jpeg", jpeg_bytes(size=(640, 480))[:700]),
    "html as jpeg": ("evil.jpg", "image/jpeg", b"<html><body><script>alert(document.cookie)</script></body></html>"),
    "svg as jpeg": ("evil.jpg", "image/jpeg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
    "jpeg-magic html polyglot": ("poly.jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<html><script>alert(1)</script></html>"),
    "gif/js polyglot": ("poly.jpg", "image/jpeg", b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(1);//"),
    "empty file": ("empty.jpg", "image/jpeg", b""),
}


def _nothing_stored(settings):
    media = settings.MEDIA_ROOT
    files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    return IncidentReport.objects.count() == 0 and Attachment.objects.count() == 0 and files == []


def _multipart_files(files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return [SimpleUploadedFile(name, data, content_type=content_type) for name, content_type, data in files]


@pytest.mark.parametrize("kind", list(HOSTILE_UPLOADS))
def test_api_refuses_uploads_that_are_not_photos_and_stores_nothing(world, as_user, settings, kind):
    payload = report_payload(world)
    payload["photos"] = _multipart_files([HOSTILE_UPLOADS[kind]])
    response = as_user(world.observer).post(REPORTS, payload, format="multipart")
    assert 400 <= response.status_code < 500, response.content
    assert "photos" in response.json()
    assert _nothing_stored(settings)


@pytest.mark.parametrize("kind", ["decompression bomb", "html as jpeg", "jpeg-magic html polyglot"])
def test_web_form_refuses_uploads_that_are_not_photos_and_stores_nothing(world, client, settings, kind):
    client.force_login(world.observer.user)
    data = report_payload(world)
    data.update(occurred_at="2021-01-10T09:30", photos=_multipart_files([HOSTILE_UPLOADS[kind]]))
    response = client.post(reverse("web:report-new"), data)
    assert response.status_code == 200 and b"Photo rejected" in response.content
    assert _nothing_stored(settings)


def test_more_than_100_files_are_refused_and_nothing_is_stored(world, as_user, client, settings):
    photo = jpeg_bytes(size=(8, 8))
    payload = report_payload(world)
    payload["photos"] = _multipart_files([("p.jpg", "image/jpeg", photo)] * 101)
    response = as_user(world.observer).post(REPORTS, payload, format="multipart")
    assert response.status_code == 413, response.content
    client.force_login(world.observer.user)
    web = dict(report_payload(world), occurred_at="2021-01-10T09:30", photos=_multipart_files([("p.jpg", "image/jpeg", photo)] * 101))
    assert client.post(reverse("web:report-new"), web).status_code == 400
    assert _nothing_stored(settings)


def test_oversized_bodies_are_refused_before_they_are_read(world, as_user, settings):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    payload = report_payload(world)
    payload["photos"] = _multipart_files([("big.jpg", "image/jpeg", b"\xff\xd8" + b"\x00" * (2 * 1024 * 1024))])
    response = as_user(world.observer).post(REPORTS, payload, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert _nothing_stored(settings)


def test_a_10_mb_json_body_is_refused(world, as_user, settings):
    payload = report_payload(world, description="x" * (10 * 1024 * 1024))
    response = as_user(world.observer).post(REPORTS, payload, format="json")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert _nothing_stored(settings)


def _served(client, attachment) -> bytes:
    response = client.get(reverse("web:photo", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    return b"".join(response.streaming_content)


def test_exif_is_stripped_from_every_served_copy(world, as_user, client, django_capture_on_commit_callbacks):
    exif = _exif_with_gps()
    jpeg = jpeg_bytes(size=(120, 90), exif=exif.tobytes())
    png = io.BytesIO()
    info = PngInfo()
    info.add_text("Comment", "observer Aigerim, phone +7 701 000 0000")
    Image.new("RGB", (50, 40), (10, 200, 10)).save(png, format="PNG", exif=exif.tobytes(), pnginfo=info)
    webp = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 10, 200)).save(webp, format="WEBP", exif=exif.tobytes())
    payload = report_payload(world)
    payload["photos"] = _multipart_files(
        [("a.jpg", "image/jpeg", jpeg), ("b.png", "image/png", png.getvalue()), ("c.webp", "image/webp", webp.getvalue())]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.observer).post(REPORTS, payload, format="multipart")
    assert response.status_code == 201, response.content
    attachments = list(Attachment.objects.order_by("position"))
    assert len(attachments) == 3
    assert attachments[0].exif_latitude == pytest.approx(43.2525, abs=1e-3)  # read before stripping

    for who in (world.observer, world.coordinator, world.auditor, world.superuser):
        client.force_login(getattr(who, "user", who))
        for attachment in attachments:
            served = _served(client, attachment)
            with Image.open(io.BytesIO(served)) as image:
                assert image.format == "JPEG"
                assert dict(image.getexif()) == {}
                assert not any(key in image.info for key in ("exif", "xmp", "icc_profile", "comment"))
            for secret in (b"Exif", b"PhoneMaker", b"serial 12345", b"Aigerim", b"+7 701"):
                assert secret not in served
    # Stored files are served only through the scoped door: no public media URL exists.
    client.force_login(world.superuser)
    assert client.get(f"/media/{attachments[0].file.name}").status_code == 404
