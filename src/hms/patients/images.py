"""Turning an uploaded picture into the small JPEG the registry keeps.

Nothing the client sent is stored as it came: the file is decoded by Pillow and a new
JPEG is written from the pixels alone. That drops EXIF and every other metadata block
(a phone photo's GPS position, the camera's serial number), leaves nothing of a
polyglot file (a JPEG that is also HTML or a ZIP) but its picture, and caps the row at
a few tens of kilobytes, enough to recognise a face at the front desk or the bedside.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from hms.core.errors import InvalidInput
from hms.patients.errors import PatientErrorCode

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# A 12 MP phone photo is 4000 x 3000. Forty megapixels leaves room for bigger cameras
# while bounding what one decode may allocate (~160 MB as RGBA); a "decompression bomb"
# (a small PNG of 20000 x 20000 blank pixels) is refused from its header, before any
# pixel is decoded.
MAX_PIXELS = 40_000_000
LONG_SIDE = 480
JPEG_QUALITY = 85
FIELD = "photo"


@dataclass(frozen=True)
class Picture:
    jpeg: bytes
    width: int
    height: int


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field=FIELD, code=PatientErrorCode.INVALID_PHOTO)


def read_upload(upload: IO[bytes]) -> bytes:
    """The upload's bytes, refusing more than MAX_UPLOAD_BYTES without reading it all."""
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse("The photo is larger than 5 MB; send a smaller picture.")
    if not data:
        raise _refuse("The photo file is empty.")
    return data


def _open(data: bytes) -> Image.Image:
    try:
        # Only these decoders are tried: SVG, TIFF, GIF, PDF and the rest are refused.
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _refuse("The photo must be a JPEG, PNG or WebP picture.") from exc
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> InvalidInput:
    return _refuse(f"The photo has more than {MAX_PIXELS // 1_000_000} million pixels.")


def _decode(image: Image.Image) -> Image.Image:
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale, much faster and in less memory;
    # still at least twice the size kept, so the final resize has pixels to work with.
    image.draft("RGB", (LONG_SIDE * 2, LONG_SIDE * 2))
    try:
        image.load()
        # Phones store the picture sideways and say so in EXIF: turn it upright
        # before the EXIF is dropped.
        image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _refuse("The photo file is damaged or incomplete; take or send it again.") from exc
    return image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def normalise_photo(data: bytes) -> Picture:
    """`data` (JPEG, PNG or WebP) as a JPEG of at most LONG_SIDE pixels on its long
    side, with no metadata. Raises InvalidInput (field "photo", INVALID_PHOTO) for
    anything else: not a picture, another format, damaged, or too many pixels."""
    with _open(data) as image:
        picture = _flatten(_decode(image))
    picture.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif= or icc_profile= argument: Pillow writes none unless given one.
    picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return Picture(out.getvalue(), picture.width, picture.height)
