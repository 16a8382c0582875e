"""Where petition images are stored. The checks every uploaded image goes through (decode,
size caps, re-encode) and the types they are served with live in alliance/images.py."""

from alliance.images import image_path


def petition_image_path(instance, filename: str) -> str:
    return image_path("petitions", filename)
