"""Private, restartable PostgreSQL and Redis for the fault run, on free loopback ports.

The fault run restarts these, never the machine's shared servers (other people's tests use
those). Data lives in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, up: bool = True) -> float:
    """Seconds until the port accepts (up=True) or refuses (up=False) connections."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return time.monotonic() - started
        except OSError:
            if not up:
                return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'} in {timeout} s")


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: drop to the `postgres` user if we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PrivateRedis:
    """redis-server with an append-only file fsynced on every write, as production should run
    it: a restart loses nothing that was acknowledged (queued tasks included)."""

    def __init__(self, root: Path):
        self.dir = root / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.dir),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def restart(self, down_seconds: float = 2.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) listening on loopback only, trust auth."""

    def __init__(self, root: Path):
        self.dir = root / "pgdata"
        self.socket_dir = root / "pgsocket"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/alliance_faults"

    def _run(self, *args: str) -> None:
        subprocess.run([*_as_postgres_user(), *args], check=True, capture_output=True)

    def init(self) -> None:
        for path in (self.dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir.parent, "postgres")
            for path in (self.dir, self.socket_dir):
                shutil.chown(path, "postgres")
        self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "alliance_faults"
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=on -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", mode, "-w", "stop")

    def restart(self, down_seconds: float = 2.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


class Services:
    """Context manager: a private PostgreSQL and Redis, removed afterwards."""

    def __enter__(self) -> Services:
        self.root = Path(tempfile.mkdtemp(prefix="alliance-faults-"))
        os.chmod(self.root, 0o755)
        self.postgres = PrivatePostgres(self.root)
        self.redis = PrivateRedis(self.root)
        self.postgres.init()
        self.redis.start()
        return self

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "CACHE_KEY_PREFIX": "faults",
        }

    def __exit__(self, *exc_info) -> None:
        try:
            self.redis.stop()
        finally:
            try:
                self.postgres.stop(mode="immediate")
            except subprocess.CalledProcessError:
                pass
            shutil.rmtree(self.root, ignore_errors=True)
