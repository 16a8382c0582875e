"""Private, restartable PostgreSQL and Redis for the fault run, on loopback only.

The fault run kills and restarts these, never the machine's shared servers (other developers'
tests use those). Both keep their data in one temporary folder that `Services.__exit__` removes,
after stopping both servers, whatever happened (error, Ctrl-C).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PREFERRED_POSTGRES_PORT = 55432
PREFERRED_REDIS_PORT = 6391


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(preferred: int | None = None) -> int:
    """The preferred port when nobody uses it (readable logs), else any free one."""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def postgres_bin(name: str) -> str:
    """The system PostgreSQL binary (the newest major under /usr/lib/postgresql), else PATH."""
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if found:
        return max(found, key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)))
    return shutil.which(name) or name


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: drop to the `postgres` user if we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PrivateRedis:
    """redis-server with an append-only file fsynced on every write, as docs/DEPLOYMENT.md
    says production may run it: a kill -9 then loses nothing Redis acknowledged (queued tasks,
    unacked-task bookkeeping, beat's heartbeat)."""

    def __init__(self, root: Path):
        self.dir = root / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port(PREFERRED_REDIS_PORT)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.binary = (
            "/usr/bin/redis-server"
            if os.path.exists("/usr/bin/redis-server")
            else shutil.which("redis-server")
        )
        self.process: subprocess.Popen | None = None
        self.log = root / "redis.log"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.dir),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--protected-mode", "yes",
                "--logfile", str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the runner only, which stops us in order
        )  # fmt: skip
        wait_for_port(self.port)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients (the AOF must carry everything)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class PrivatePostgres:
    """A throwaway cluster (initdb) listening on 127.0.0.1 only, trust auth, fsync on."""

    def __init__(self, root: Path):
        self.dir = root / "pgdata"
        self.socket_dir = root / "pgsocket"
        self.log = root / "postgres.log"
        self.port = free_port(PREFERRED_POSTGRES_PORT)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/alliance_faults"

    def _run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            [*_as_postgres_user(), *args],
            check=True,
            capture_output=True,
            timeout=timeout,
            start_new_session=True,
        )

    def init(self) -> None:
        for path in (self.dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            for path in (self.dir, self.socket_dir):
                shutil.chown(path, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self._run(
            postgres_bin("initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.start()
        self._run(
            postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "alliance_faults",
        )  # fmt: skip

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=on -c synchronous_commit=on -c max_connections=100"
        )

    def start(self) -> None:
        self._run(
            postgres_bin("pg_ctl"), "-D", str(self.dir), "-o", self._options(),
            "-l", str(self.log), "-w", "-t", "60", "start",
        )  # fmt: skip

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: sessions are terminated, their transactions rolled back."""
        self._run(
            postgres_bin("pg_ctl"), "-D", str(self.dir), "-o", self._options(),
            "-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart",
        )  # fmt: skip

    def stop(self) -> None:
        """Immediate stop at teardown; if pg_ctl fails, kill the postmaster by its pid file."""
        try:
            self._run(postgres_bin("pg_ctl"), "-D", str(self.dir), "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pid_file = self.dir / "postmaster.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                except (ValueError, ProcessLookupError):
                    pass


class Services:
    """Context manager: a private PostgreSQL and Redis in a temp dir, removed afterwards."""

    def __enter__(self) -> Services:
        self.root = Path(tempfile.mkdtemp(prefix="alliance-faults-"))
        os.chmod(self.root, 0o755)  # the postgres user must reach its data dir inside
        self.postgres = PrivatePostgres(self.root)
        self.redis = PrivateRedis(self.root)
        try:
            self.postgres.init()
            self.redis.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
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
                if (self.postgres.dir / "postmaster.pid").exists():
                    self.postgres.stop()
            finally:
                shutil.rmtree(self.root, ignore_errors=True)
