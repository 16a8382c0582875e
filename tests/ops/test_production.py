"""The production configuration: `check --deploy` is clean, logs are JSON, deploy files parse."""

import json
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra) -> dict[str, str]:
    env = {
        **subprocess_env(),  # less DJANGO_ALLOW_ASYNC_UNSAFE, which a deployment never has
        "DJANGO_SETTINGS_MODULE": "alliance.settings.production",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "alliance.example.org",
        "SITE_URL": "https://alliance.example.org",
    }
    env.pop("DEBUG", None)
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_is_clean():
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        _production_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr and "?:" not in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    result = _run([sys.executable, "manage.py", "check"], _production_env(SECRET_KEY="short"))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_logs_are_one_json_object_per_line():
    code = "\n".join(
        [
            "import django, logging",
            "django.setup()",
            "log = logging.getLogger('alliance.test')",
            "log.warning('hello %s', 'world', extra={'path': '/x/'})",
            "try:",
            "    1 / 0",
            "except ZeroDivisionError:",
            "    log.exception('boom')",
        ]
    )
    result = _run([sys.executable, "-c", code], _production_env())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["message"] == "hello world"
    assert lines[0]["path"] == "/x/"
    assert lines[1]["level"] == "ERROR"
    assert "ZeroDivisionError" in lines[1]["exc_info"]


def test_gunicorn_config_is_valid():
    result = _run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "deploy/gunicorn.conf.py",
            "--check-config",
            "alliance.wsgi",
        ],
        _production_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_procfile_runs_web_worker_and_a_single_beat():
    processes = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(processes) == {"web", "worker", "importer", "beat"}
    assert "gunicorn alliance.wsgi" in processes["web"]
    assert "celery -A alliance worker" in processes["worker"]
    assert "celery -A alliance beat" in processes["beat"]
    units = ["alliance-web", "alliance-worker", "alliance-importer", "alliance-beat"]
    for unit in units:
        text = (ROOT / "deploy" / "systemd" / f"{unit}.service").read_text()
        assert "[Service]" in text and "ExecStart=" in text
        assert "DJANGO_SETTINGS_MODULE=alliance.settings.production" in text
    # Every Celery queue has a consumer in each way of running Alliance.
    from django.conf import settings

    run_py = (ROOT / "scripts" / "run.py").read_text()
    unit_texts = " ".join(
        (ROOT / "deploy" / "systemd" / f"{unit}.service").read_text() for unit in units
    )
    for queue in [queue.name for queue in settings.CELERY_TASK_QUEUES]:
        assert f"--queues={queue}" in " ".join(processes.values()), queue
        assert f"--queues={queue}" in unit_texts, queue
        assert f'"--queues={queue}"' in run_py, queue
