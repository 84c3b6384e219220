"""Real JPEG bytes: a plain photo, or one carrying the EXIF a phone camera
writes (GPS position, DateTimeOriginal on the camera's wall clock and,
optionally, OffsetTimeOriginal)."""

import datetime as dt
import io
from fractions import Fraction

from PIL import ExifTags, Image

DATETIME_ORIGINAL = 36867
OFFSET_TIME_ORIGINAL = 36881


def jpeg_bytes(*, size=(64, 48), colour=(200, 30, 30), exif: bytes | None = None) -> bytes:
    """A small JPEG of one colour; `exif` is raw EXIF bytes to embed as they are."""
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    if exif is not None:
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = ((value - degrees) * 60 - minutes) * 60
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(100000)


def photo_with_exif(
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    taken_local: dt.datetime | None = None,
    offset: str | None = None,
    colour=(90, 120, 150),
    size=(48, 36),
    make: str | None = None,
) -> bytes:
    """`taken_local` is the camera's wall-clock time (naive); `offset` like "+06:00"."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if latitude is not None and longitude is not None:
        exif[ExifTags.IFD.GPSInfo] = {
            1: "N" if latitude >= 0 else "S",
            2: _dms(latitude),
            3: "E" if longitude >= 0 else "W",
            4: _dms(longitude),
        }
    if taken_local is not None:
        sub = {DATETIME_ORIGINAL: taken_local.strftime("%Y:%m:%d %H:%M:%S")}
        if offset:
            sub[OFFSET_TIME_ORIGINAL] = offset
        exif[ExifTags.IFD.Exif] = sub
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()
