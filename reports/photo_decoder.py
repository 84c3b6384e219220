"""Decode and re-encode photos in a process of their own, under a memory cap.

`reports.photos` runs this file as a child process (`python -I
photo_decoder.py LIMIT_BYTES MAX_PIXELS`, with an empty environment) once per
request that carries photos. Its first act is to cap its own address space
(RLIMIT_AS): an image that needs more than that to decode fails here with a
MemoryError, in a process that then exits, instead of growing the web process
that serves everyone else. A crash of the image libraries on a hostile file
ends this process only, and it holds no database connection, secret or
environment.

Standard library and Pillow only (it imports nothing of the platform).

Protocol, binary, on stdin/stdout. In: for each photo, its length as 8 bytes
big-endian, then its bytes; then end of input. Out: for each photo, one JSON
line, then (when "ok") that many bytes of JPEG:

    {"ok": true, "width": W, "height": H, "size": N}
    {"ok": false, "error": "memory" | "unreadable" | "format" | "pixels"}
"""

import io
import json
import resource
import struct
import sys
import warnings

from PIL import Image

FORMATS = ("JPEG", "PNG", "WEBP")
ORIENTATION = 0x0112
# EXIF orientation → the transposition that makes the pixels upright (as
# PIL.ImageOps.exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Modes without colour are stored as grey (1 byte a pixel), the rest as RGB
# (4 bytes a pixel in Pillow's memory).
GREY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")


def reencode(data: bytes, max_pixels: int) -> tuple[bytes, int, int]:
    """The upright pixels as a fresh JPEG (no EXIF, XMP, ICC, comment or
    trailing bytes). Each intermediate image is released as soon as the next
    exists, so the peak is two images of the photo's size, never three."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
    if image.format not in FORMATS:
        raise ValueError("format")
    if image.width * image.height > max_pixels:
        raise ValueError("pixels")
    method = UPRIGHT.get(image.getexif().get(ORIENTATION))
    image.load()  # decodes everything: truncated or corrupt files fail here
    target = "L" if image.mode in GREY_MODES else "RGB"
    if image.mode != target:
        image = _replace(image, image.convert(target))
    if method is not None:
        image = _replace(image, image.transpose(method))
    out = io.BytesIO()
    # No `optimize`: it holds the whole image's coefficients in memory once more.
    image.save(out, format="JPEG", quality=85)
    width, height = image.size
    image.close()
    return out.getvalue(), width, height


def _replace(image: Image.Image, following: Image.Image) -> Image.Image:
    image.close()  # frees its pixels now, not when the garbage collector gets to it
    return following


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def _answer(out, data: bytes, max_pixels: int) -> None:
    try:
        stored, width, height = reencode(data, max_pixels)
    except MemoryError:
        result, stored = {"ok": False, "error": "memory"}, b""
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        result, stored = {"ok": False, "error": "pixels"}, b""
    except ValueError as exc:
        code = str(exc) if str(exc) in ("format", "pixels") else "unreadable"
        result, stored = {"ok": False, "error": code}, b""
    except Exception:  # whatever a hostile file makes the decoders raise
        result, stored = {"ok": False, "error": "unreadable"}, b""
    else:
        result = {"ok": True, "width": width, "height": height, "size": len(stored)}
    out.write(json.dumps(result).encode("ascii") + b"\n" + stored)
    out.flush()


def main(argv: list[str]) -> int:
    limit, max_pixels = int(argv[1]), int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    source, out = sys.stdin.buffer, sys.stdout.buffer
    while header := source.read(8):
        (size,) = struct.unpack(">Q", header)
        _answer(out, _read(source, size), max_pixels)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
