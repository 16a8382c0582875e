"""Every module of events and clashes imports on its own, in a fresh interpreter: an import
cycle between modules (or an app importing clashes at import time through events) shows up
as an ImportError here, whichever module a process happens to load first."""

import ast
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


# --- Every app: no import cycle between its modules, no star or side-effect-only import ------

ALL_APPS = [
    "accounts",
    "alliance",
    "clashes",
    "conversations",
    "events",
    "groups",
    "outbox",
    "petitions",
    "primaries",
    "priorities",
    "seats",
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _app_modules(app: str) -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and "settings" not in path.parts
    }


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _top_level_imports(tree: ast.Module):
    """Imports that run when the module is loaded: at module level, and inside module-level
    if/try blocks (not `if TYPE_CHECKING:`). Imports inside functions are the documented
    task/service convention and do not count."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            stack.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                stack.extend(handler.body)


def _imported_modules(node, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of the same app that one import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{node.module}" if node.module else package
        else:
            base = node.module or ""
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    loaded = set()
    for name in names:
        # `import a.b.c` loads a, a.b and a.b.c.
        parts = name.split(".")
        loaded.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return (loaded & known) - {module}


def _import_graph(app: str) -> dict[str, set[str]]:
    modules = _app_modules(app)
    known = set(modules)
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = set()
        for node in _top_level_imports(tree):
            edges |= _imported_modules(node, module, path.name == "__init__.py", known)
        # A package's __init__ runs before any of its modules: not a cycle through it.
        graph[module] = {target for target in edges if not module.startswith(f"{target}.")}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [node, target]
            if target not in state:
                found = visit(target, [*path, target])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}}) == [
        "a.x",
        "a.y",
        "a.z",
        "a.x",
    ]
    assert _find_cycle({"a.x": {"a.y"}, "a.y": set()}) is None


@pytest.mark.parametrize("app", ALL_APPS)
def test_no_import_cycle_between_the_modules_of_an_app(app):
    graph = _import_graph(app)
    assert len(graph) > 1
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("app", ALL_APPS)
def test_no_star_import_and_no_import_kept_only_for_its_side_effect(app):
    """A name imported and never used (kept only so something registers) is hidden behind a
    `noqa: F401`; ruff reports every other one. `import *` hides where names come from."""
    offenders = []
    for path in _app_modules(app).values():
        text = path.read_text()
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: import *")
        for number, line in enumerate(text.splitlines(), 1):
            if "noqa: F401" in line or "noqa:F401" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders
