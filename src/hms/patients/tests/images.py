"""Pictures for the photo tests, made on the spot: good ones, and the hostile files a
photo upload must refuse."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

MARKER = b"HMS-SECRET-CAMERA-SERIAL"


def a_picture(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), **save) -> bytes:
    image = Image.new("RGB", size, (180, 120, 90))
    for x in range(0, size[0], 40):  # some detail, so the encoder has work to do
        image.paste((20, 60, 140), (x, 0, x + 10, size[1]))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def a_jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    return a_picture("JPEG", size)


def a_jpeg_with_gps() -> bytes:
    """A phone-style JPEG: GPS position, camera make and a serial number in EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.BodySerialNumber] = MARKER.decode()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (1.0, 17.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (36.0, 49.0, 10.0)
    return a_picture("JPEG", (1200, 900), exif=exif)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def a_png_bomb(side: int = 20_000) -> bytes:
    """A valid PNG of side x side black pixels (1 bit each) that is a few tens of
    kilobytes on disk and hundreds of megabytes once decoded."""
    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" '
    b'height="100"><script>alert(document.cookie)</script><circle r="40"/></svg>'
)
NOT_AN_IMAGE = b"Name,MRN\nAmina,RGH0001\n"


def hostile_files() -> dict[str, bytes]:
    """name -> bytes of each kind of file the upload must refuse."""
    jpeg = a_jpeg()
    return {
        "text renamed .jpg": NOT_AN_IMAGE,
        "truncated JPEG": jpeg[: len(jpeg) // 2],
        "PNG bomb 20000x20000": a_png_bomb(),
        "SVG": SVG,
        "GIF": a_picture("GIF"),
        "over 5 MB": jpeg + b"\x00" * (5 * 1024 * 1024),
    }
