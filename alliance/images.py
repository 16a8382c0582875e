"""Uploaded images (petition images, candidates' photos): what is accepted, how it is
stored, and the type it is served with. One home, so every upload gets the same checks.

An upload is decoded with Pillow (only PNG, JPEG, WebP and GIF decoders are tried), refused if
it is not a real image of one of those formats or has too many pixels, then re-encoded from
the decoded pixels: metadata (EXIF, GPS, comments, trailing bytes, anything appended to look
like HTML) does not survive. The stored name is random, with the extension of the decoded
format, and the same table gives the Content-Type it is served with. The uploaded name and the
browser's content type are never used.
"""

import io
import secrets
import warnings
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_MAX_BYTES = 2 * 1024 * 1024
# About 25 megapixels: a phone photo fits, a decompression bomb does not.
IMAGE_MAX_PIXELS = 25_000_000
# Stored images are scaled down to fit this box: enough for any screen, cheap to serve.
IMAGE_MAX_SIDE = 2400

# Decoded format -> (stored extension, Content-Type served).
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
CONTENT_TYPES = dict(FORMATS.values())  # extension -> Content-Type

REFUSED = "Upload a PNG, JPEG, GIF or WebP image."


def image_path(folder: str, filename: str) -> str:
    """A random name under `folder`; the extension is kept only if it is one we serve
    (image_prepare set it)."""
    extension = PurePosixPath(filename).suffix.lower().lstrip(".")
    if extension not in CONTENT_TYPES:
        extension = "bin"  # never served: image_content_type refuses it
    return f"{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"


def image_content_type(name: str) -> str | None:
    """The Content-Type for a stored image name, or None if it is not one we serve."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower().lstrip("."))


def image_prepare(upload, *, field: str = "image") -> ContentFile:
    """Decode, check and re-encode an uploaded image; raise ValidationError({field: ...})."""
    if upload.size > IMAGE_MAX_BYTES:
        raise ValidationError({field: "The image must be 2 MB or smaller."})
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=list(FORMATS))
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise ValidationError(
                    {field: "The image is too large: use one under 25 megapixels."}
                )
            image.load()
            extension, _ = FORMATS[image.format]
            encoded = _reencode(image)  # broken EXIF or palette data fails here, not later
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        KeyError,
        Warning,
    ) as error:
        raise ValidationError({field: REFUSED}) from error
    finally:
        upload.seek(0)
    return ContentFile(encoded, name=f"image.{extension}")


def _reencode(image: Image.Image) -> bytes:
    image_format = image.format
    transparency = image.info.get("transparency")
    image = ImageOps.exif_transpose(image)  # keep the orientation the EXIF asked for, then drop it
    image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
    image.info = {}  # no EXIF, XMP, ICC, comments or text chunks carried over
    out = io.BytesIO()
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=85)
    elif image_format == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, format="WEBP", quality=85)
    else:  # PNG and GIF: the first frame only
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        options = (
            {} if transparency is None or image.mode != "P" else {"transparency": transparency}
        )
        image.save(out, format=image_format, **options)
    return out.getvalue()
