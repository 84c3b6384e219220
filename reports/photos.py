"""Photo intake: check that an upload is a real, bounded image; keep the hash of
the original bytes and what EXIF says about where and when it was taken; store
only a re-encoded copy without any metadata (EXIF can identify and locate the
observer).

The work a request may cause is bounded before any pixel is decoded, from the
headers alone: each photo's pixels (`MAX_PHOTO_PIXELS`), the pixels of all the
request's photos together (`MAX_PHOTO_PIXELS_PER_REQUEST`), and, for large
images, a floor of bytes per pixel (`PHOTO_MIN_BYTES_PER_PIXEL`): a real photo
of 40 million pixels is megabytes, not the 4.9 KB of a one-colour PNG that
decodes into hundreds of megabytes. The decoding and re-encoding then happen
in a child process (`photo_decoder.py`) whose address space is capped
(`PHOTO_DECODE_MEMORY_MB`), at most `PHOTO_DECODERS_PER_PROCESS` at a time
per web process, so no upload can grow the web process itself."""

import datetime as dt
import hashlib
import io
import json
import math
import struct
import subprocess
import sys
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
OFFSET_TIME_ORIGINAL = 36881
# A capture time outside these years is a camera with an unset or broken clock
# (0001:01:01, 9999:12:31): it proves nothing and, made aware, may not even be
# representable in UTC. It is ignored like a missing one.
EXIF_YEARS = (1990, 2100)


DECODER = Path(__file__).with_name("photo_decoder.py")
# A request waits this long for a free decoder before it is answered "busy"
# (503, retried by the phone); a decoder may run this long per request.
DECODER_WAIT_SECONDS = 30
DECODER_TIMEOUT_SECONDS = 120


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message says why (shown to the observer)."""


class PhotoBusy(Exception):
    """Every photo decoder of this process stayed busy: try again shortly (HTTP 503)."""


@dataclass(frozen=True)
class ProcessedPhoto:
    original_sha256: str
    original_size: int
    original_content_type: str
    stored_bytes: bytes
    stored_sha256: str
    width: int
    height: int
    exif_latitude: float | None
    exif_longitude: float | None
    exif_taken_at_local: dt.datetime | None  # naive camera wall-clock
    exif_utc_offset: dt.timezone | None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rational(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _gps_degrees(values, ref) -> float | None:
    try:
        degrees, minutes, seconds = (_rational(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref).strip().upper() in {"S", "W"}:
        result = -result
    return result if math.isfinite(result) else None


def _exif_gps(exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(GPS_IFD)
    except Exception:  # malformed EXIF must not make a photo unacceptable
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat = _gps_degrees(gps.get(2), gps.get(1, "N"))
    lon = _gps_degrees(gps.get(4), gps.get(3, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 6), round(lon, 6)


def _exif_time(exif) -> tuple[dt.datetime | None, dt.timezone | None]:
    try:
        sub = exif.get_ifd(EXIF_IFD)
    except Exception:
        return None, None
    raw = sub.get(DATETIME_ORIGINAL) if sub else None
    if not raw:
        return None, None
    try:
        taken = dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, None
    if not EXIF_YEARS[0] <= taken.year <= EXIF_YEARS[1]:
        return None, None
    offset = None
    raw_offset = sub.get(OFFSET_TIME_ORIGINAL)
    if raw_offset:
        try:
            sign = -1 if str(raw_offset).startswith("-") else 1
            hours, minutes = str(raw_offset).strip("+-\x00 ").split(":")
            offset = dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))
        except (ValueError, TypeError):
            offset = None
    return taken, offset


@dataclass(frozen=True)
class _Header:
    """What the headers say, before any pixel is decoded."""

    data: bytes
    format: str
    width: int
    height: int
    exif_latitude: float | None
    exif_longitude: float | None
    exif_taken_at_local: dt.datetime | None
    exif_utc_offset: dt.timezone | None

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _kilobytes(size: int) -> str:
    return f"{size / 1024:.1f}"


def _check_size(data: bytes, width: int, height: int) -> None:
    if width * height > settings.MAX_PHOTO_PIXELS:
        raise PhotoRejected(_("The image dimensions are too large."))
    # Large images must carry a plausible number of bytes for their pixels: a
    # camera photo has texture and noise; a nearly empty image of millions of
    # pixels is a way to make the server decode hundreds of megabytes.
    if width * height > settings.PHOTO_BYTES_FLOOR_FROM_PIXELS and len(data) < width * height * settings.PHOTO_MIN_BYTES_PER_PIXEL:
        raise PhotoRejected(
            _(
                "The image claims %(width)s × %(height)s pixels but has only %(size)s KB: fewer than %(floor)s bytes per pixel, "
                "which no camera photo has. Send the photo as the camera took it."
            )
            % {"width": width, "height": height, "size": _kilobytes(len(data)), "floor": settings.PHOTO_MIN_BYTES_PER_PIXEL}
        )


def inspect_photo(data: bytes) -> _Header:
    """Read and check an upload's headers (format, dimensions, EXIF) without
    decoding its pixels. Raises PhotoRejected."""
    if len(data) > settings.MAX_PHOTO_BYTES:
        raise PhotoRejected(_("The photo is larger than %(mb)s MB.") % {"mb": settings.MAX_PHOTO_BYTES // (1024 * 1024)})
    if not data:
        raise PhotoRejected(_("The photo is empty."))
    Image.MAX_IMAGE_PIXELS = settings.MAX_PHOTO_PIXELS
    try:
        with warnings.catch_warnings():
            # Above MAX_IMAGE_PIXELS Pillow only warns; a decompression bomb must be refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format
                if fmt not in ACCEPTED_FORMATS:
                    raise PhotoRejected(_("Unsupported image format %(format)s: send JPEG, PNG or WebP.") % {"format": fmt or "?"})
                width, height = image.size
                _check_size(data, width, height)
                # A PNG's getexif() decodes the whole image to look for EXIF after
                # the pixels: here only what the headers hold is read.
                exif = image.getexif() if fmt != "PNG" or "exif" in image.info else Image.Exif()
                exif_lat, exif_lon = _exif_gps(exif)
                taken, offset = _exif_time(exif)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(_("The image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoRejected(_("The file is not a readable image.")) from exc
    return _Header(data, fmt, width, height, exif_lat, exif_lon, taken, offset)


def _check_budget(headers: Sequence[_Header]) -> None:
    total, budget = sum(h.pixels for h in headers), settings.MAX_PHOTO_PIXELS_PER_REQUEST
    if total > budget:
        raise PhotoRejected(
            _(
                "The photos of one report may have %(budget)s million pixels in all; these have %(total)s million. Send fewer or smaller photos."
            )
            % {"budget": budget // 1_000_000, "total": math.ceil(total / 1_000_000)}
        )


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _decoder_slots() -> threading.BoundedSemaphore:
    """This process's decoder slots (created on first use, from the settings)."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.PHOTO_DECODERS_PER_PROCESS)
        return _slots


def _decoder_errors() -> dict[str, str]:
    return {
        "memory": _("The photo is too large to process. Send a smaller one."),
        "pixels": _("The image has too many pixels."),
        "format": _("The file is not a readable image."),
        "unreadable": _("The file is not a readable image."),
    }


def _run_decoder(images: Sequence[bytes]) -> bytes:
    """The decoder's output for `images`, at most PHOTO_DECODERS_PER_PROCESS at a
    time in this process. Raises PhotoBusy when no decoder became free in time."""
    slots = _decoder_slots()
    if not slots.acquire(timeout=DECODER_WAIT_SECONDS):
        raise PhotoBusy
    try:
        command = [sys.executable, "-I", str(DECODER), str(settings.PHOTO_DECODE_MEMORY_MB * 1024 * 1024), str(settings.MAX_PHOTO_PIXELS)]
        # An empty environment: the decoder needs no secret, setting or database.
        decoder = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={})
        try:
            out, _err = decoder.communicate(b"".join(struct.pack(">Q", len(d)) + d for d in images), timeout=DECODER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            decoder.kill()
            decoder.communicate()
            raise PhotoRejected(_("The photo is too large to process. Send a smaller one.")) from None
        return out
    finally:
        slots.release()


def _decoded(out: bytes, count: int) -> list[tuple[bytes, int, int]]:
    """(stored JPEG, width, height) for each photo, from the decoder's output;
    the first failure as PhotoRejected (also when the decoder died on a file)."""
    stream, results = io.BytesIO(out), []
    for _n in range(count):
        line = stream.readline()
        try:
            answer = json.loads(line)
        except ValueError:
            raise PhotoRejected(_("The file is not a readable image.")) from None  # the decoder ended without an answer
        if not answer.get("ok"):
            raise PhotoRejected(_decoder_errors().get(answer.get("error"), _("The file is not a readable image.")))
        stored = stream.read(answer["size"])
        if len(stored) != answer["size"]:
            raise PhotoRejected(_("The file is not a readable image."))
        results.append((stored, answer["width"], answer["height"]))
    return results


def process_photos(photos: Sequence[bytes]) -> list[ProcessedPhoto]:
    """Check every photo of one request from its headers, then decode and
    re-encode them all in one capped decoder process. Raises PhotoRejected (the
    first photo that is not acceptable) or PhotoBusy."""
    headers = [inspect_photo(data) for data in photos]
    if not headers:
        return []
    _check_budget(headers)
    decoded = _decoded(_run_decoder([h.data for h in headers]), len(headers))
    return [
        ProcessedPhoto(
            original_sha256=sha256_of(h.data),
            original_size=len(h.data),
            original_content_type=ACCEPTED_FORMATS[h.format],
            stored_bytes=stored,
            stored_sha256=sha256_of(stored),
            width=width,
            height=height,
            exif_latitude=h.exif_latitude,
            exif_longitude=h.exif_longitude,
            exif_taken_at_local=h.exif_taken_at_local,
            exif_utc_offset=h.exif_utc_offset,
        )
        for h, (stored, width, height) in zip(headers, decoded, strict=True)
    ]


def process_photo(data: bytes) -> ProcessedPhoto:
    """One photo on its own (as its own request)."""
    return process_photos([data])[0]
