"""The benchmark harness: bounded, loopback-only measuring, and the gunicorn Server."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bench.harness import Server, Stats, measure, ratio


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        self.send_response(200 if body.startswith(b"n=") else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_measure_counts_requests_statuses_and_latency(local_server):
    stats = measure(local_server + "/", requests=50, concurrency=4)
    assert stats.requests == 50
    assert stats.status_counts == {200: 50}
    assert stats.errors == 0
    assert stats.rps > 0
    assert 0 < stats.p50_ms <= stats.p95_ms


def test_measure_counts_4xx_and_refused_connections_as_errors(local_server, closed_port):
    stats = measure(local_server + "/missing", requests=10, concurrency=2)
    assert stats.errors == 10 and stats.status_counts == {404: 10}
    stats = measure(f"http://127.0.0.1:{closed_port}/", requests=4, concurrency=2, timeout=1)
    assert stats.errors == 4
    assert set(stats.status_counts) == {"ConnectionError"}


def test_measure_posts_what_the_data_factory_gives(local_server):
    seen = []

    def data(index, session):
        assert isinstance(session, requests.Session)
        seen.append(index)
        return {"n": index}

    stats = measure(
        local_server + "/", requests=20, concurrency=3, method="POST", data_factory=data
    )
    assert stats.status_counts == {200: 20}
    assert sorted(seen) == list(range(20))


def test_measure_stays_on_loopback():
    with pytest.raises(ValueError, match="loopback"):
        measure("http://example.org/", requests=1, concurrency=1)


def test_measure_is_bounded_in_time(local_server):
    stats = measure(local_server + "/", requests=10_000_000, concurrency=2, max_seconds=0.3)
    assert 0 < stats.requests < 10_000_000
    assert stats.seconds < 5


def test_ratio():
    fast = Stats(requests=100, seconds=1.0)
    slow = Stats(requests=25, seconds=1.0)
    assert ratio(slow, fast) == 0.25
    assert ratio(slow, Stats(requests=0, seconds=0)) == 0.0


def test_server_runs_gunicorn_and_ping_needs_no_database(closed_port):
    """Database unreachable: /ping/ still answers (it touches nothing), /health/ says 503 and a
    page gives the "try again" page through the real gunicorn process."""
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port}/nowhere"}
    with Server(env, workers=1, prepare_first=False) as server:
        assert server.url.startswith("http://127.0.0.1:")
        ping = requests.get(server.url + "/ping/", timeout=5)
        assert (ping.status_code, ping.text) == (200, "ok")
        health = requests.get(server.url + "/health/", timeout=10)
        assert health.status_code == 503
        assert health.json()["database"] == "error: OperationalError"
        page = requests.get(server.url + "/groups/", timeout=10)
        assert page.status_code == 503
        assert "Please try again" in page.text
        process = server.process
    assert process.poll() is not None  # stopped on exit
