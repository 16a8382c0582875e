"""Shared benchmark harness: run the app under gunicorn on loopback and measure it.

    from bench.harness import Server, measure, ratio

    with Server() as server:
        baseline = measure(server.url + "/ping/", requests=500, concurrency=8)
        home = measure(server.url + "/", requests=300, concurrency=8)
        print(f"home: {ratio(home, baseline):.2f} of /ping/")

`Server` uses `alliance.settings.bench` (production-like, plain HTTP) against DATABASE_URL /
REDIS_URL from the environment (or `env`). It runs `migrate` and, when needed, `collectstatic`
first, so it works on an empty database. Everything stays on 127.0.0.1; `measure` refuses any
other host and is bounded in both requests and seconds.
"""

from __future__ import annotations

import inspect
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "alliance.settings.bench"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(env: dict | None = None) -> dict[str, str]:
    """The environment the server (and `manage.py` helpers) run with."""
    merged = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONUNBUFFERED": "1"}
    merged.update({key: str(value) for key, value in (env or {}).items()})
    return merged


def manage(*args: str, env: dict | None = None, timeout: float = 300) -> str:
    """Run `python manage.py <args>` with the bench settings; raise with its output on failure."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=bench_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(env: dict | None = None) -> None:
    """Migrate the bench database and collect hashed static files once."""
    manage("migrate", "--noinput", env=env)
    static_root = bench_env(env).get("BENCH_STATIC_ROOT", str(ROOT / "var" / "bench-static"))
    if not (Path(static_root) / "staticfiles.json").exists():
        manage("collectstatic", "--noinput", env=env)


class Server:
    """`gunicorn alliance.wsgi` with the bench settings on a free 127.0.0.1 port.

    `.url` is "http://127.0.0.1:<port>" (no trailing slash). On exit the server is stopped
    (SIGTERM, then SIGKILL after 10 s). Its output is kept in `.log_path`.
    """

    def __init__(
        self,
        env: dict | None = None,
        workers: int = 2,
        threads: int = 1,
        *,
        prepare_first: bool = True,
        startup_timeout: float = 30.0,
    ):
        self.env = env or {}
        self.workers = workers
        self.threads = threads
        self.prepare_first = prepare_first
        self.startup_timeout = startup_timeout
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"alliance-bench-gunicorn-{self.port}.log"

    def __enter__(self) -> Server:
        if self.prepare_first:
            prepare(self.env)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "alliance.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--worker-class",
                "gthread" if self.threads > 1 else "sync",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=bench_env(self.env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its workers
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.output()}")
            try:
                if requests.get(self.url + "/ping/", timeout=1).status_code == 200:
                    # Each worker imports Django lazily: warm them all before measuring.
                    for _ in range(self.workers * 4):
                        requests.get(self.url + "/ping/", timeout=5)
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /ping/ in time:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if getattr(self, "_log", None):
            self._log.close()


@dataclass
class Stats:
    requests: int
    seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    status_counts: Counter = field(default_factory=Counter)
    errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return _percentile(self.latencies_ms, 50)

    @property
    def p95_ms(self) -> float:
        return _percentile(self.latencies_ms, 95)

    def __str__(self) -> str:
        return (
            f"{self.rps:7.1f} req/s  p50 {self.p50_ms:6.1f} ms  p95 {self.p95_ms:6.1f} ms  "
            f"errors {self.errors}/{self.requests}"
        )


def _percentile(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _call_data_factory(factory: Callable, index: int, session: requests.Session):
    """`data_factory(index)` or `data_factory(index, session)` (e.g. to read a CSRF cookie)."""
    params = inspect.signature(factory).parameters
    return factory(index, session) if len(params) >= 2 else factory(index)


def measure(
    url: str,
    *,
    requests: int,  # noqa: A002 - the brief's name; the module is imported as `_requests`
    concurrency: int,
    method: str = "GET",
    data_factory: Callable | None = None,
    headers: dict | None = None,
    session_factory: Callable[[], _requests.Session] | None = None,
    max_seconds: float = 60.0,
    timeout: float = 10.0,
    allow_redirects: bool = False,
) -> Stats:
    """Send `requests` requests with `concurrency` threads, each with its own Session.

    A request counts as an error when it raises or answers with a status >= 400. Stops early
    (counting only what was sent) after `max_seconds`. `data_factory(i[, session])` gives the
    form data for request i; `session_factory()` gives a ready Session (e.g. signed in) per
    thread. Redirects are not followed unless asked, so a POST-redirect counts as one request.
    """
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"Benchmarks stay on loopback; refusing {url}")
    total = requests
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = 0
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        nonlocal errors
        session = session_factory() if session_factory else _requests.Session()
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                data = _call_data_factory(data_factory, index, session) if data_factory else None
                started = time.perf_counter()
                try:
                    response = session.request(
                        method,
                        url,
                        data=data,
                        headers=headers,
                        timeout=timeout,
                        allow_redirects=allow_redirects,
                    )
                    status = response.status_code
                except _requests.RequestException as error:
                    status = error.__class__.__name__
                elapsed_ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed_ms)
                    statuses[status] += 1
                    if not isinstance(status, int) or status >= 400:
                        errors += 1
        finally:
            session.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(worker) for _ in range(concurrency)]
        for future in futures:
            future.result()
    seconds = time.perf_counter() - started
    return Stats(
        requests=len(latencies),
        seconds=seconds,
        latencies_ms=latencies,
        status_counts=statuses,
        errors=errors,
    )


_requests = requests  # `measure` has a parameter named `requests`


def ratio(stats: Stats, baseline: Stats) -> float:
    """Throughput as a fraction of the baseline's (the bare /ping/ view): 1.0 = as fast."""
    return stats.rps / baseline.rps if baseline.rps else 0.0
