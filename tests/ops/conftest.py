import socket

import pytest
from django.test import Client


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser-facing server does."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def quiet_client() -> Client:
    """A client that returns the 500/503 response instead of re-raising the exception."""
    return Client(raise_request_exception=False)
