"""Shared fixtures. Everything here talks to real services: PostgreSQL, Redis, Celery, SMTP,
Chromium. Nothing is faked."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.factories import PASSWORD, GroupFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent

# Property tests check what is true, not how fast: a busy CI machine must not fail them on time.
hypothesis_settings.register_profile(
    "alliance", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("alliance")
SHARED_DATA = Path(os.environ.get("ALLIANCE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """The real public data beside the project (read in place, never copied)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"Expected the shared data folder at {SHARED_DATA}")
    return SHARED_DATA


def _cache_clear_prefix() -> None:
    """Forget rate-limit counters and cached lookups of this test run only (not the broker)."""
    client = cache._cache.get_client()
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    from alliance import versioned_cache

    versioned_cache.forget_local()  # counters and pages this process keeps in memory


@pytest.fixture(autouse=True)
def _fresh_cache():
    _cache_clear_prefix()
    yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def organiser(db):
    return UserFactory(name="Olive Organiser")


@pytest.fixture
def group(organiser):
    return GroupFactory(organiser=organiser)


def pytest_collection_modifyitems(items):
    """Mark the tests that flush the database (real workers, browsers, `transaction=True`).

    `make test` runs them after the others: a flush removes the rows data migrations made (the
    default clash rule, the site), which the other tests read. Django orders them last in one
    process; across pytest-xdist processes only a separate run keeps that order."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        flushes = {"transactional_db", "live_server"} & set(item.fixturenames)
        if flushes or (marker and marker.kwargs.get("transaction")):
            item.add_marker(pytest.mark.transactional)


def subprocess_env() -> dict[str, str]:
    """The environment for a child process: as ours, less what only the browser tests need
    (DJANGO_ALLOW_ASYNC_UNSAFE, which a real deployment must never have) and the xdist process
    name (a child is given its Redis and cache prefix explicitly; it must not shift them again)."""
    dropped = {"DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_XDIST_WORKER"}
    return {k: v for k, v in os.environ.items() if k not in dropped}


# --- A postcodes.io-compatible API on loopback ---------------------------------------


@pytest.fixture
def postcodes_server(settings):
    """A postcodes.io-compatible server on loopback. `server.answers[postcode] = code | None`
    (None: 500 error, as when the service is down), or (code, latitude, longitude);
    `server.points[postcode] = (lat, lon)` places a postcode elsewhere than the default
    (51.5, -0.1). `server.url` is its address (a real worker reads it from
    ALLIANCE_TEST_POSTCODES_API_URL)."""

    answers: dict[str, str | None] = {}
    points: dict[str, tuple[float, float]] = {}
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
            latitude, longitude = points.get(postcode, (51.5, -0.1))
            if isinstance(code, tuple):  # (code, latitude, longitude): a place of its own
                code, latitude, longitude = code
            if code is None:
                self.send_response(500)
                self.end_headers()
                return
            body = json.dumps(
                {
                    "status": 200,
                    "result": {
                        "postcode": postcode,
                        "latitude": latitude,
                        "longitude": longitude,
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
    server.points = points
    server.hits = hits
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.POSTCODES_API_URL = server.url
    yield server
    server.shutdown()


# --- SMTP sink -------------------------------------------------------------------------


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_sink():
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=0)
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                sink.messages.append(
                    {
                        "from": envelope.mail_from,
                        "to": list(envelope.rcpt_tos),
                        "message": message_from_bytes(envelope.original_content),
                    }
                )
            return "250 OK"

    # aiosmtpd's start() connects to the port it was given to check the server is up, so port=0
    # is refused: ask the OS for a free port first.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


# --- A real Celery worker --------------------------------------------------------------


class CeleryWorkerProcess:
    """`celery -A alliance worker` in its own process, on the test database and Redis."""

    def __init__(self, extra_env: dict[str, str], queues: str = ""):
        db = settings.DATABASES["default"]
        host = db.get("HOST") or "127.0.0.1"
        env = {
            **subprocess_env(),
            "DJANGO_SETTINGS_MODULE": "alliance.settings.test",
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}"
                f"@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
            ),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            **extra_env,
        }
        self.log_path = (
            Path(os.environ.get("TMPDIR", "/tmp"))
            / f"celery-worker-{os.getpid()}-{time.time_ns()}.log"
        )
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "alliance",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                # Without --queues it consumes every queue (CELERY_TASK_QUEUES).
                *(
                    [f"--queues={queues}", f"--hostname={queues}-{time.time_ns()}@%h"]
                    if queues
                    else []
                ),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.output()}")
            if "ready." in self.log_path.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError(f"Celery worker did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL, as when a machine dies: no chance to finish or ack anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def celery_worker_factory(transactional_db):
    """Start real Celery workers: `worker = celery_worker_factory({"EMAIL_PORT": "..."})`.

    The queue is purged first so tasks left over from other tests cannot leak in.
    """
    from alliance.celery import app

    app.control.purge()
    workers: list[CeleryWorkerProcess] = []

    def start(extra_env: dict[str, str] | None = None, *, queues: str = "") -> CeleryWorkerProcess:
        worker = CeleryWorkerProcess(extra_env or {}, queues=queues)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


# --- Headless Chromium -----------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def _playwright_browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server):
    """A fresh browser context (no cookies) on the live server; screenshot on failure."""
    context = _playwright_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    browser_page = context.new_page()
    yield browser_page
    context.close()


def browser_login(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def browser_choose(scope, label: str, option: str, typed: str | None = None) -> None:
    """Pick `option` (its visible text) in the select labelled `label`, as a person does.

    A plain <select>: select_option. A searchable one (static/js/searchable-select.js, Tom
    Select): the original <select> stays in the page, hidden, named by aria-label; the person
    types `typed` (part of the name, by default the whole) in the box and taps the match."""
    select = scope.locator("select").and_(scope.get_by_label(label, exact=True))
    if select.get_attribute("data-searchable") is None:
        select.select_option(label=option)
        return
    select.page.wait_for_function(
        "select => Boolean(select.tomselect)", arg=select.element_handle()
    )
    box = scope.locator(f"#{select.get_attribute('id')}-ts-control")
    box.locator("xpath=..").click()  # the box around the text field, as a finger taps it
    box.fill(typed or option)
    listbox = scope.locator(f"#{select.get_attribute('id')}-ts-dropdown")
    listbox.get_by_role("option", name=option, exact=True).click()


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process (emails land in mail.outbox). The worker tests use a real
    worker instead."""
    from alliance.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
