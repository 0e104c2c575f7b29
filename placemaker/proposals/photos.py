"""Residents' photos: checked by content (not by name), re-encoded, and stripped of metadata.

A phone photo carries EXIF with the GPS position of the resident's camera, the device and
the time. We decode the pixels and write a fresh JPEG without any of it, which also
neutralises files that only pretend to be images.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from placemaker.errors import InvalidInput

# What we accept, recognised by the file's first bytes; the name and the browser's
# Content-Type are the sender's claim and prove nothing.
SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
MAX_SIDE = 1600  # pixels; enough for a moderator to see the spot
# Refuse decompression bombs before decoding. A JPEG is decoded at 1/2, 1/4 or 1/8 scale
# (draft), so a 48 MP phone photo costs little memory; PNG and WebP decode whole, 4 bytes a
# pixel, so they get a tighter bound (16 MP: some 64 MB while decoding, not 750 MB).
MAX_PIXELS = 40_000_000
MAX_PIXELS_FULL_DECODE = 16_000_000
JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    width: int
    height: int

    def columns(self) -> dict[str, object]:
        """What a photo table stores of it (proposals' and reports' photos alike)."""
        return {
            "data": self.data,
            "content_type": self.content_type,
            "width": self.width,
            "height": self.height,
        }


def sniff(data: bytes) -> str | None:
    """The image format by content: "JPEG", "PNG", "WEBP", or None for anything else."""
    for magic, name in SIGNATURES:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:
    """Check and re-encode an uploaded photo as a JPEG without EXIF, XMP or ICC data.

    :raises InvalidInput: too large, not a JPEG/PNG/WebP by content, or unreadable.
    """
    if len(data) > max_bytes:
        raise InvalidInput(
            _(
                "The photo is too large (%(size)s MB); at most %(max)s MB is allowed.",
                size=f"{len(data) / 1_048_576:.1f}",
                max=f"{max_bytes / 1_048_576:.0f}",
            ),
            details={"field": "photo"},
        )
    fmt = sniff(data)
    if fmt is None:
        raise InvalidInput(
            _("This file is not a photo. Please choose a JPEG, PNG or WebP image."),
            details={"field": "photo"},
        )
    unreadable = InvalidInput(
        _("This photo cannot be read. Please choose another one."), details={"field": "photo"}
    )
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            limit = MAX_PIXELS if fmt == "JPEG" else MAX_PIXELS_FULL_DECODE
            if width * height > limit:
                raise InvalidInput(
                    _("The photo has too many pixels; please choose a smaller one."),
                    details={"field": "photo"},
                )
            if fmt == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image.load()
            image.thumbnail((MAX_SIDE, MAX_SIDE))  # shrink before any copy is made
            # Turn the pixels the way the camera meant, since the orientation tag goes.
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning arrives as an exception only where warnings are errors (the tests).
        raise InvalidInput(
            _("The photo has too many pixels; please choose a smaller one."),
            details={"field": "photo"},
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise unreadable from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A new image object holds no info dict: nothing but pixels is written.
    Image.frombytes("RGB", rgb.size, rgb.tobytes()).save(
        out, "JPEG", quality=JPEG_QUALITY, optimize=True
    )
    return CleanPhoto(out.getvalue(), "image/jpeg", rgb.width, rgb.height)
