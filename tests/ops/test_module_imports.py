"""Every module of events and clashes imports on its own, in a fresh interpreter: an import
cycle between modules (or an app importing clashes at import time through events) shows up
as an ImportError here, whichever module a process happens to load first."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["events", "clashes"]


def _modules() -> list[str]:
    names = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _import_alone(module: str) -> tuple[str, int, str]:
    code = (
        "import os, django; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'alliance.settings.test'); "
        f"django.setup(); import importlib; importlib.import_module({module!r})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return module, done.returncode, done.stderr[-2000:]


@pytest.mark.slow
def test_every_module_imports_alone():
    modules = _modules()
    assert "clashes.api" in modules and "events.services" in modules
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [result for result in pool.map(_import_alone, modules) if result[1]]
    assert not failures, "\n\n".join(f"{m}:\n{err}" for m, _, err in failures)


def test_events_never_imports_clashes():
    """Not even inside a function: clashes depends on events, and hands events its seam
    (events/apps.py: clashes_api) from clashes/apps.py."""
    offenders = []
    for path in sorted((ROOT / "events").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip().startswith(("from clashes", "import clashes")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line}")
    assert not offenders, offenders
