"""Downloading an imported calendar's URL without letting the URL reach inside our network.

The server fetches whatever URL an organiser types, so three rules hold for every hop:

- The host is resolved once, EVERY address it resolves to must be public
  (`address_is_public`), and the connection goes to the address that was checked: the socket
  is opened to that IP while the Host header, SNI and certificate check keep the URL's name.
  A second resolution (DNS rebinding: public at the check, 127.0.0.1 at the connection)
  cannot happen because there is none.
- Redirects are followed by hand, each hop checked and pinned the same way.
- The whole download has ONE deadline. A per-read timeout would let a server that sends a
  byte every few seconds hold a worker for as long as it likes; a watchdog shuts the socket
  when the deadline passes, whatever the socket is doing.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Everything that is not the public internet, including the IPv6 forms that carry an IPv4
# address inside them (a NAT64 or 6to4 address of 127.0.0.1 reaches 127.0.0.1 through a
# gateway, and Python calls some of them "global").
BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/96",  # unspecified, loopback, IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)


class FetchError(Exception):
    """The download failed: the message can be shown to the organiser as is."""


class PrivateAddress(FetchError):
    pass


class DeadlineExceeded(FetchError):
    pass


def address_is_public(address: str) -> bool:
    """True only for addresses on the public internet; anything unparseable is not."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if any(ip.version == network.version and ip in network for network in BLOCKED_NETWORKS):
        return False
    return ip.is_global and not ip.is_multicast


def resolve_checked(host: str, port: int, *, allow_private: bool) -> str:
    """Resolve `host` once and return the address to connect to. Every address it resolves to
    must be public (one private answer among public ones is a rebinding attempt too)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise FetchError(f"The calendar's host “{host}” could not be found.")
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"The calendar's host “{host}” could not be found.")
    if not allow_private and not all(address_is_public(a) for a in addresses):
        raise PrivateAddress("That address points into a private network; use a public URL.")
    return addresses[0]


class _Deadline:
    """Shuts every socket it watches when the time is up, whatever the socket is doing."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def check(self) -> None:
        if self.expired or self.remaining() <= 0:
            self.expired = True
            raise DeadlineExceeded(
                f"The calendar server did not answer within {self.seconds:g} seconds."
            )

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


class _PinnedMixin:
    """Open the socket to the checked address; everything else (Host, SNI, certificate name)
    still uses the URL's host name."""

    def __init__(self, *args, pinned_ip: str, deadline: _Deadline, **kwargs):
        self._pinned_ip = pinned_ip
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        self._deadline.check()
        family = socket.AF_INET6 if ":" in self._pinned_ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        self._deadline.watch(sock)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(max(0.01, min(self.timeout or 10, self._deadline.remaining())))
            sock.connect((self._pinned_ip, self.port))
        except OSError as error:
            sock.close()
            if self._deadline.expired:
                raise DeadlineExceeded(
                    f"The calendar server did not answer within {self._deadline.seconds:g} seconds."
                ) from error
            raise urllib3.exceptions.NewConnectionError(self, str(error)) from error
        return sock


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


@dataclass
class Fetched:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _pool_for(url: str, *, timeout: float, deadline: _Deadline, allow_private: bool):
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError("Only http:// and https:// calendar addresses can be imported.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("The calendar address has an invalid port.")
    ip = resolve_checked(parts.hostname, port, allow_private=allow_private)
    deadline.check()
    common = {
        "host": parts.hostname,
        "port": port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "maxsize": 1,
        "retries": False,
        "pinned_ip": ip,
        "deadline": deadline,
    }
    if parts.scheme == "https":
        pool = _PinnedHTTPSPool(cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(), **common)
    else:
        pool = _PinnedHTTPPool(**common)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return pool, path


def fetch(
    url: str,
    *,
    headers: dict[str, str],
    max_bytes: int,
    total_seconds: float,
    max_redirects: int,
    allow_private: bool,
    too_big,
) -> Fetched:
    """GET `url` (following up to `max_redirects` redirects) within `total_seconds` in all.

    `too_big(size, at_least)` builds the message when the body is larger than `max_bytes`.
    Raises FetchError with a message fit for the organiser.
    """
    headers = {**headers, "Accept-Encoding": "identity"}
    with _Deadline(total_seconds) as deadline:
        try:
            for _ in range(max_redirects + 1):
                pool, path = _pool_for(
                    url, timeout=total_seconds, deadline=deadline, allow_private=allow_private
                )
                with pool:
                    response = pool.urlopen(
                        "GET",
                        path,
                        headers=headers,
                        retries=False,
                        redirect=False,
                        preload_content=False,
                        assert_same_host=False,
                    )
                    try:
                        location = response.headers.get("Location")
                        if response.status in {301, 302, 303, 307, 308} and location:
                            url = urljoin(url, location)
                            continue
                        return _read(
                            response, deadline=deadline, max_bytes=max_bytes, too_big=too_big
                        )
                    finally:
                        response.release_conn()
                        response.close()
            raise FetchError("The calendar address redirects too many times.")
        except FetchError:
            raise
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
            if deadline.expired or deadline.remaining() <= 0:
                raise DeadlineExceeded(
                    f"The calendar server did not answer within {total_seconds:g} seconds."
                ) from error
            if isinstance(error, urllib3.exceptions.SSLError):
                raise FetchError("The calendar server's HTTPS certificate is not valid.")
            raise FetchError(f"The calendar could not be downloaded: {_reason(error)}.")


def _read(response, *, deadline: _Deadline, max_bytes: int, too_big) -> Fetched:
    headers = response.headers  # case-insensitive: "ETag" or "Etag"
    if response.status != 200:
        return Fetched(status=response.status, headers=headers, body=b"")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(too_big(int(declared), False))
    chunks, size = [], 0
    while True:
        deadline.check()
        chunk = response.read(65536)
        deadline.check()
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(too_big(size, True))
        chunks.append(chunk)
    return Fetched(status=200, headers=headers, body=b"".join(chunks))


def _reason(error: Exception) -> str:
    text = str(error).lower()
    if "refused" in text:
        return "the connection was refused"
    if "timed out" in text or "timeout" in text:
        return "the server did not answer"
    if "reset" in text or "closed" in text or "aborted" in text:
        return "the connection was cut"
    return error.__class__.__name__
