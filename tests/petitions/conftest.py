import pytest

from tests.factories import ConstituencyFactory
from tests.petitions.factories import PetitionFactory


@pytest.fixture(autouse=True)
def _confirmations_at_once(settings):
    """Tests send each confirmation at once instead of batching them over a second."""
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0


@pytest.fixture
def petition(group):
    return PetitionFactory(group=group, title="Work with pro-EU groups")


@pytest.fixture
def constituencies(db):
    return [ConstituencyFactory(boundary_set="2024", name=f"Seat {i}") for i in range(3)]


def link_from(message, name: str) -> str:
    """The path of the confirm/remove/unsubscribe link in an email's plain-text body."""
    import re

    match = re.search(rf"https?://[^/\s]+(/petitions/s/[^/\s]+/{name}/)", message.body)
    assert match, message.body
    return match.group(1)


def image_bytes(image_format: str = "PNG", size=(40, 30), **save_options) -> bytes:
    """A real image, drawn with Pillow."""
    import io

    from PIL import Image

    out = io.BytesIO()
    mode = "RGB" if image_format in ("JPEG", "WEBP") else "RGBA"
    if image_format == "GIF":
        mode = "P"
    Image.new(mode, size, 120).save(out, format=image_format, **save_options)
    return out.getvalue()


@pytest.fixture
def tmp_media(settings, tmp_path):
    """Uploads go to a temporary MEDIA_ROOT, gone after the test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
