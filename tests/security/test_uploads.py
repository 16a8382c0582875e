"""Hostile uploads: a petition image is accepted only if Pillow decodes it as a real PNG, JPEG,
WebP or GIF under the pixel cap; what is stored is re-encoded (nothing appended, no metadata),
named at random with the decoded format's extension, and served as that image type with
nosniff and a sandbox CSP, whatever name and type the upload claimed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.petitions.conftest import image_bytes

SCRIPT = b"<html><script>alert(document.cookie)</script></html>"


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
    exif[0x010E] = "home address"
    return image_bytes("JPEG", exif=exif.tobytes())


def _png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    return image_bytes("PNG", pnginfo=info)


# (case, uploaded name, claimed type, bytes, the stored format or None if refused)
HOSTILE_UPLOADS = [
    ("html with GIF magic", "evil.html", "image/gif", b"GIF89a" + SCRIPT, None),
    ("svg named png", "x.png", "image/png", b"<svg onload=alert(1)></svg>", None),
    ("png magic then junk", "x.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 200, None),
    ("truncated png", "x.png", "image/png", image_bytes("PNG", size=(300, 300))[:60], None),
    ("pdf", "x.pdf", "application/pdf", b"%PDF-1.4\n" + SCRIPT, None),
    ("bmp (decodes, not allowed)", "x.bmp", "image/bmp", image_bytes("BMP"), None),
    ("36 megapixels", "big.png", "image/png", image_bytes("PNG", size=(6000, 6000)), None),
    ("gif with html appended", "evil.html", "text/html", image_bytes("GIF") + SCRIPT, "GIF"),
    ("png with a script in a text chunk", "x.svg", "image/svg+xml", _png_with_text(), "PNG"),
    ("jpeg with GPS in its EXIF", "me.jpg", "image/jpeg", _jpeg_with_gps(), "JPEG"),
    ("webp named html", "x.html", "text/html", image_bytes("WEBP"), "WEBP"),
]


@pytest.mark.parametrize(
    "case, name, claimed, content, stored_format",
    HOSTILE_UPLOADS,
    ids=[row[0] for row in HOSTILE_UPLOADS],
)
def test_hostile_uploads_are_refused_or_made_harmless(
    client, world, case, name, claimed, content, stored_format
):
    client.force_login(world.organiser_b)
    petition = world.petition_b
    response = client.post(
        f"/petitions/{petition.slug}/edit/",
        {
            "title": petition.title,
            "target": petition.target,
            "body": petition.body,
            "image": SimpleUploadedFile(name, content, content_type=claimed),
        },
    )
    petition.refresh_from_db()
    if stored_format is None:
        assert response.status_code == 200, case
        assert not petition.image
        return
    assert response.status_code == 302, case
    stored_name = petition.image.name
    extension = {"GIF": ".gif", "PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}[stored_format]
    assert stored_name.endswith(extension) and name.rsplit(".", 1)[0] not in stored_name
    stored = petition.image.read()
    assert b"<script" not in stored and b"home address" not in stored
    decoded = Image.open(io.BytesIO(stored))
    assert decoded.format == stored_format
    assert not decoded.getexif() and "Comment" not in decoded.info

    served = client.get(petition.image_url)
    assert served.status_code == 200
    assert served["Content-Type"] == f"image/{stored_format.lower()}"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;")
    assert "sandbox" in served["Content-Security-Policy"]
