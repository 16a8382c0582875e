"""An organiser types a calendar URL and our worker fetches it: the URL must not reach inside
our network (whatever DNS answers, however it is spelled) nor hold a worker for long.

Each test drives the real sync against servers started here; name resolution is steered by
replacing socket.getaddrinfo, the one function every resolver path in Python goes through.
"""

import socket
import threading
import time

import pytest

from events import import_fetch, imports
from events.models import CalendarFeed, Event
from tests.events.conftest import local_http as events_local_http
from tests.events.test_imports import _ics, _soon, _vevent

pytestmark = pytest.mark.django_db

PUBLIC_V4 = "93.184.216.34"

# The events tests' loopback calendar server, under a name of its own here.
calendar_server = events_local_http

# Every one of these reaches a machine that is not on the public internet.
NOT_PUBLIC = [
    ("loopback", "127.0.0.1"),
    ("loopback, elsewhere in 127/8", "127.9.9.9"),
    ("IPv6 loopback", "::1"),
    ("NAT64 of 127.0.0.1", "64:ff9b::7f00:1"),
    ("local-use NAT64 of 127.0.0.1", "64:ff9b:1::7f00:1"),
    ("6to4 of 127.0.0.1", "2002:7f00:1::1"),
    ("Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
    ("IPv4-mapped 127.0.0.1", "::ffff:127.0.0.1"),
    ("IPv4-compatible 127.0.0.1", "::127.0.0.1"),
    ("IPv4-translated 127.0.0.1", "::ffff:0:7f00:1"),
    ("cloud metadata (link-local)", "169.254.169.254"),
    ("IPv6 link-local", "fe80::1"),
    ("carrier-grade NAT", "100.64.0.1"),
    ("RFC 1918", "10.0.0.1"),
    ("RFC 1918 (172)", "172.16.5.4"),
    ("RFC 1918 (192)", "192.168.1.1"),
    ("unique local IPv6", "fd00::1"),
    ("multicast", "224.0.0.1"),
    ("IPv6 multicast", "ff02::1"),
    ("reserved", "240.0.0.1"),
    ("broadcast", "255.255.255.255"),
    ("this network", "0.0.0.0"),
    ("unspecified IPv6", "::"),
    ("benchmarking", "198.18.0.1"),
]


@pytest.fixture
def resolver(monkeypatch):
    """`resolver.answers["host"] = ["first answer", "second answer", ...]`: each lookup of the
    host takes the next answer (the last one repeats). `resolver.calls` lists the lookups."""
    real = socket.getaddrinfo

    class Resolver:
        answers: dict[str, list[list[str]]] = {}
        calls: list[str] = []

    def fake(host, port, *args, **kwargs):
        if host not in Resolver.answers:
            return real(host, port, *args, **kwargs)
        Resolver.calls.append(host)
        queue = Resolver.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        port = int(port or 0)
        infos = []
        for address in addresses:
            if ":" in address:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return infos

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return Resolver


@pytest.mark.parametrize(("label", "address"), NOT_PUBLIC, ids=[row[0] for row in NOT_PUBLIC])
def test_calendar_urls_resolving_to_non_public_addresses_are_refused(
    label, address, group, settings, calendar_server, resolver
):
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = False
    assert not import_fetch.address_is_public(address)
    port = calendar_server.url.rsplit(":", 1)[1]
    resolver.answers["calendar.example"] = [[address]]
    feed = CalendarFeed.objects.create(
        group=group, name="Inside", url=f"http://calendar.example:{port}/cal.ics"
    )
    imports.calendar_feed_sync(feed=feed)
    assert "private network" in feed.last_error, (label, feed.last_error)
    # Spelled as a literal in the URL, it is refused the same way.
    literal = f"[{address}]" if ":" in address else address
    feed = CalendarFeed.objects.create(
        group=group, name="Literal", url=f"http://{literal}:{port}/cal.ics"
    )
    imports.calendar_feed_sync(feed=feed)
    assert "private network" in feed.last_error, (label, feed.last_error)
    assert calendar_server.requests == []


def test_public_addresses_are_public():
    for address in (PUBLIC_V4, "2606:4700:4700::1111", "8.8.8.8"):
        assert import_fetch.address_is_public(address), address


def test_one_private_address_among_public_ones_is_refused(
    group, settings, calendar_server, resolver
):
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = False
    port = calendar_server.url.rsplit(":", 1)[1]
    resolver.answers["mixed.example"] = [[PUBLIC_V4, "127.0.0.1"]]
    feed = CalendarFeed.objects.create(
        group=group, name="Mixed", url=f"http://mixed.example:{port}/cal.ics"
    )
    imports.calendar_feed_sync(feed=feed)
    assert "private network" in feed.last_error
    assert calendar_server.requests == []


def test_dns_rebinding_cannot_reach_the_checked_host_s_second_answer(
    group, settings, calendar_server, resolver
):
    """Public when checked, 127.0.0.1 when connecting: the connection goes to the address
    that was checked, so the local server never hears from us."""
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = False
    settings.EVENTS_FEED_TIMEOUT = 1.0
    calendar_server.body = _ics(_vevent("inside@src", _soon()))
    port = calendar_server.url.rsplit(":", 1)[1]
    resolver.answers["rebind.example"] = [[PUBLIC_V4], ["127.0.0.1"]]
    feed = CalendarFeed.objects.create(
        group=group, name="Rebind", url=f"http://rebind.example:{port}/cal.ics"
    )
    imports.calendar_feed_sync(feed=feed)
    assert calendar_server.requests == []
    assert not Event.objects.filter(feed=feed).exists()
    assert feed.last_error  # the public address is not reachable from the test machine
    assert resolver.calls == ["rebind.example"]  # resolved once, never again


def test_the_pinned_connection_keeps_the_url_s_host_name(
    group, settings, calendar_server, resolver
):
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = True  # the local server stands in for the world
    calendar_server.body = _ics(_vevent("pinned@src", _soon()))
    port = calendar_server.url.rsplit(":", 1)[1]
    resolver.answers["calendar.example"] = [["127.0.0.1"]]
    feed = CalendarFeed.objects.create(
        group=group, name="Named", url=f"http://calendar.example:{port}/cal.ics"
    )
    imports.calendar_feed_sync(feed=feed)
    assert feed.last_error == ""
    assert calendar_server.requests[0]["Host"] == f"calendar.example:{port}"
    assert Event.objects.filter(feed=feed, source_uid="pinned@src").exists()


def test_every_redirect_hop_is_checked(group, settings, calendar_server, resolver, monkeypatch):
    """The first hop is allowed (the local server plays a public host); its redirect to a
    private name is refused before any connection to it."""
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr(import_fetch, "address_is_public", lambda address: address == "127.0.0.1")
    port = calendar_server.url.rsplit(":", 1)[1]
    resolver.answers["public.example"] = [["127.0.0.1"]]
    resolver.answers["inside.example"] = [["127.0.0.2"]]
    calendar_server.redirect_to = f"http://inside.example:{port}/cal.ics"
    feed = CalendarFeed.objects.create(
        group=group, name="Hop", url=f"http://public.example:{port}/cal.ics"
    )
    imports.calendar_feed_sync(feed=feed)
    assert "private network" in feed.last_error
    assert len(calendar_server.requests) == 1 and resolver.calls == [
        "public.example",
        "inside.example",
    ]


@pytest.fixture
def drip_server():
    """A server that answers one byte at a time, `interval` seconds apart, for `total` bytes."""

    class Drip:
        interval = 0.25
        in_headers = False
        connections = 0

    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            Drip.connections += 1
            with conn:
                conn.recv(65536)
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 60\r\n\r\n"
                )
                body = b"B" * 60
                if not Drip.in_headers:
                    conn.sendall(head)
                    head = b""
                try:
                    for byte in head + body:
                        if stop.is_set():
                            break
                        conn.sendall(bytes([byte]))
                        time.sleep(Drip.interval)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    Drip.url = f"http://127.0.0.1:{listener.getsockname()[1]}/cal.ics"
    yield Drip
    stop.set()
    thread.join(timeout=5)
    listener.close()


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_dripping_server_is_cut_off_at_the_total_deadline(
    in_headers, group, settings, drip_server
):
    """A byte every 0.25 s never trips a 1 s per-read timeout; the total deadline stops it."""
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = True
    settings.EVENTS_FEED_TIMEOUT = 1.0
    drip_server.in_headers = in_headers
    feed = CalendarFeed.objects.create(group=group, name="Drip", url=drip_server.url)
    started = time.monotonic()
    imports.calendar_feed_sync(feed=feed)
    elapsed = time.monotonic() - started
    assert drip_server.connections == 1
    assert "did not answer within 1 seconds" in feed.last_error
    assert elapsed < 2.5, elapsed  # the drip would take 15 s (or more with headers)
