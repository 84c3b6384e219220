"""Real image bytes: a plain JPEG, one carrying the EXIF a phone camera writes
(GPS position, DateTimeOriginal on the camera's wall clock and, optionally,
OffsetTimeOriginal), and a small PNG that decompresses into a huge image."""

import datetime as dt
import io
import struct
import zlib
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


def sparse_png(*, size=(6320, 6320), mode="1", pad_to: int = 0) -> bytes:
    """A PNG of one colour that decompresses far beyond its size: at the default
    6,320 × 6,320 one-bit pixels (40 MPx) it is 4.9 KB and costs a naive
    decoder hundreds of megabytes. `pad_to` adds a private ancillary chunk
    (which decoders skip) until the file has that many bytes: a file that
    passes a bytes-per-pixel floor without costing any less to decode."""
    out = io.BytesIO()
    Image.new(mode, size, 0).save(out, format="PNG", optimize=True)
    data = out.getvalue()
    missing = pad_to - len(data) - 12  # a chunk is length, type, data and CRC
    if missing <= 0:
        return data
    kind, body = b"prVt", b"\0" * missing
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    end = data.rindex(b"IEND") - 4  # the IEND chunk starts with its length
    return data[:end] + chunk + data[end:]
