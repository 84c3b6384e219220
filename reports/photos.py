"""Photo intake: check that an upload is a real, bounded image; keep the hash of
the original bytes and what EXIF says about where and when it was taken; store
only a re-encoded copy without any metadata (EXIF can identify and locate the
observer)."""

import datetime as dt
import hashlib
import io
import math
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
OFFSET_TIME_ORIGINAL = 36881
# A capture time outside these years is a camera with an unset or broken clock
# (0001:01:01, 9999:12:31): it proves nothing and, made aware, may not even be
# representable in UTC. It is ignored like a missing one.
EXIF_YEARS = (1990, 2100)


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message says why (shown to the observer)."""


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


def process_photo(data: bytes) -> ProcessedPhoto:
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
                if width * height > settings.MAX_PHOTO_PIXELS:
                    raise PhotoRejected(_("The image dimensions are too large."))
                exif = image.getexif()
                exif_lat, exif_lon = _exif_gps(exif)
                taken, offset = _exif_time(exif)
                image.load()  # decodes everything: truncated or corrupt files fail here
                upright = ImageOps.exif_transpose(image)
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                out = io.BytesIO()
                # A fresh encode carries no EXIF, XMP, ICC comments or trailing bytes.
                upright.save(out, format="JPEG", quality=85, optimize=True)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(_("The image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoRejected(_("The file is not a readable image.")) from exc
    stored = out.getvalue()
    return ProcessedPhoto(
        original_sha256=sha256_of(data),
        original_size=len(data),
        original_content_type=ACCEPTED_FORMATS[fmt],
        stored_bytes=stored,
        stored_sha256=sha256_of(stored),
        width=upright.width,
        height=upright.height,
        exif_latitude=exif_lat,
        exif_longitude=exif_lon,
        exif_taken_at_local=taken,
        exif_utc_offset=offset,
    )
