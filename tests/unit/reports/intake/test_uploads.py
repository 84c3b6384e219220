"""Hostile input is refused or made harmless: image uploads that are not photos,
too many or too large bodies, markup and SQL in every text field, spreadsheet
formulas in exports, and EXIF in what is served back."""

import io
import struct
import zlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from PIL import Image

from reports.models import Attachment, IncidentReport
from testkit.factories import ReportEventFactory
from testkit.images import jpeg_bytes
from tests.conftest import report_payload

REPORTS = "/api/v1/reports/"
SCRIPT = "<script>alert(1)</script>"


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
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
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


# --- Strings --------------------------------------------------------------------------------------


def _text_fields(model):
    skip = {"code", "timezone", "public_code", "password", "content_sha256", "chain_sha256", "sha256", "stored_sha256", "username"}
    for f in model._meta.get_fields():
        if isinstance(f, (models.CharField, models.TextField)) and not f.choices and f.name not in skip and not f.primary_key:
            if f.max_length is None or f.max_length >= len(SCRIPT):
                yield f.name


def test_markup_in_every_text_field_is_escaped_in_admin_and_web_pages(world, client, as_user, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    from reports.models import Flag, ReportEvent

    with django_capture_on_commit_callbacks(execute=True):
        created = as_user(world.observer).post(
            REPORTS, report_payload(world, category="ballot_stuffing", description=SCRIPT), format="json"
        )
    assert created.status_code == 201
    report = IncidentReport.objects.get(pk=created.json()["id"])
    assert report.description == SCRIPT  # stored verbatim: it is evidence
    Flag.objects.filter(report=report).update(explanation=SCRIPT, note=SCRIPT)
    touched = []
    for model in [*(m for m in apps.get_models() if m._meta.app_label in ("monitoring", "reports")), get_user_model()]:
        fields = list(_text_fields(model))
        if fields and model is ReportEvent:
            # The audit trail is append-only: hostile text arrives in a new event.
            ReportEventFactory(report=report, **{f: SCRIPT for f in fields})
            touched.append((model._meta.label, fields))
        elif fields and model not in (IncidentReport,):
            for n, pk in enumerate(model.objects.values_list("pk", flat=True)):
                # A suffix keeps unique fields (organization names, accreditation numbers) unique.
                model.objects.filter(pk=pk).update(**{f: f"{SCRIPT} {n}" for f in fields})
            touched.append((model._meta.label, fields))
    assert len(touched) >= 8

    pages = []
    client.force_login(world.superuser)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        obj = model.objects.first()
        if obj is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    pages.append(reverse("admin:reports_incidentreport_change", args=[report.pk]))
    bodies = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        bodies[page] = response.content.decode()
    client.force_login(world.coordinator.user)
    bodies["coordinator queue"] = client.get("/admin/reports/incidentreport/").content.decode()
    client.force_login(world.observer.user)
    for page in ("/reports/", "/reports/new/"):
        bodies[page] = client.get(page).content.decode()

    leaked = [page for page, body in bodies.items() if SCRIPT in body or "<script>alert" in body]
    assert not leaked, leaked
    assert sum("&lt;script&gt;alert(1)&lt;/script&gt;" in body for body in bodies.values()) >= len(touched)


def test_sql_in_filters_and_search_is_just_text(world, as_user, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(world.observer).post(REPORTS, report_payload(world, description="'; DROP TABLE reports_incidentreport; --"), format="json")
    api = as_user(world.observer)
    for query in ("?station=' OR '1'='1", "?category=1;DROP TABLE x", "?election=%27%20OR%201=1--", "?state=accepted' --"):
        response = api.get(REPORTS + query)
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["count"] == 0
    stations = api.get("/api/v1/stations/", {"election": world.election.code, "q": "%' OR 1=1 --"})
    assert stations.status_code == 200 and stations.json()["count"] == 0
    assert IncidentReport.objects.get().description == "'; DROP TABLE reports_incidentreport; --"


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]


def test_csv_formula_injection_is_neutralized_in_every_export_door(world, as_user, client, django_capture_on_commit_callbacks, tmp_path):
    import csv

    from django.core.management import call_command

    from monitoring.models import ObserverOrganization

    for formula in FORMULAS:
        with django_capture_on_commit_callbacks(execute=True):
            assert as_user(world.observer).post(REPORTS, report_payload(world, description=formula), format="json").status_code == 201
    ObserverOrganization.objects.filter(pk=world.observer.organization_id).update(name="=1+1 Civic")

    client.force_login(world.auditor.user)

    def data_rows(text):  # the export ends with `#manifest` rows (docs/export.md)
        return [r for r in csv.DictReader(io.StringIO(text)) if r["report_id"] != "#manifest"]

    url_rows = data_rows(b"".join(client.get("/exports/reports.csv").streaming_content).decode())
    out = tmp_path / "export.csv"
    call_command("export_reports", "--election", world.election.code, "--output", str(out), stderr=io.StringIO())
    command_rows = data_rows(out.read_text(encoding="utf-8-sig"))
    for rows in (url_rows, command_rows):
        assert len(rows) == len(FORMULAS)
        for row in rows:
            for value in row.values():
                assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), value
        assert all(r["description"].startswith("'") for r in rows)
        assert {r["organization"] for r in rows} == {"'=1+1 Civic"}
