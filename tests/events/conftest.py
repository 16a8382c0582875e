import http.server
import threading
from dataclasses import dataclass, field

import pytest

from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyBranchFactory,
    PartyStaffFactory,
    UserFactory,
)


@dataclass
class Served:
    """What the local HTTP server answers, and what it was asked."""

    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    requests: list = field(default_factory=list)
    url: str = ""
    redirect_to: str = ""


@pytest.fixture
def local_http(settings):
    """A real HTTP server on loopback (no internet in tests): set `.body`, `.headers`, ...

    Private addresses are refused for imported calendars in production; this server is one.
    """
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = True
    served = Served()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            served.requests.append(dict(self.headers))
            if served.delay:
                import time

                time.sleep(served.delay)
            if served.redirect_to:
                self.send_response(302)
                self.send_header("Location", served.redirect_to)
                self.end_headers()
                return
            etag = served.headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(served.status)
            for key, value in served.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            try:
                self.wfile.write(served.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
def people(db):
    """One of each role the visibility rules know about, around two verified groups (members of
    unverified groups see no alliance-wide events: tests/events/test_visibility_promise.py)."""
    group = GroupFactory(is_verified=True)
    other_group = PartyBranchFactory(is_verified=True)
    organiser = UserFactory(name="Olive Organiser")
    MembershipFactory(user=organiser, group=group, role="organiser")
    member = UserFactory(name="Mo Member")
    MembershipFactory(user=member, group=group)
    other_member = UserFactory(name="Otto Other")
    MembershipFactory(user=other_member, group=other_group)
    staff = UserFactory(name="Pat Staff")
    PartyStaffFactory(user=staff, party=other_group.party)
    outsider = UserFactory(name="Nia Nobody")
    return {
        "group": group,
        "other_group": other_group,
        "organiser": organiser,
        "member": member,
        "other_member": other_member,
        "staff": staff,
        "outsider": outsider,
        "constituency": ConstituencyFactory(),
    }
