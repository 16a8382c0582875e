import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@pytest.fixture
def postcodes_server(settings):
    """A postcodes.io-compatible server on loopback. `server.answers[postcode] = code | None`
    (None: 500 error, as when the service is down)."""

    answers: dict[str, str | None] = {}
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            postcode = self.path.rsplit("/", 1)[-1].upper()
            hits.append(postcode)
            if postcode not in answers:
                self.send_response(404)
                self.end_headers()
                return
            code = answers[postcode]
            if code is None:
                self.send_response(500)
                self.end_headers()
                return
            body = json.dumps(
                {
                    "status": 200,
                    "result": {
                        "postcode": postcode,
                        "latitude": 51.5,
                        "longitude": -0.1,
                        "codes": {"parliamentary_constituency_2024": code},
                    },
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.answers = answers
    server.hits = hits
    settings.POSTCODES_API_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process (emails land in mail.outbox). The worker tests use a real one."""
    from alliance.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


def link_from(message, name: str) -> str:
    """The path of the confirm/remove/unsubscribe link in an email's plain-text body."""
    import re

    match = re.search(rf"https?://[^/\s]+(/petitions/s/[^/\s]+/{name}/)", message.body)
    assert match, message.body
    return match.group(1)
