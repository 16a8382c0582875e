"""Demo data for seats: the real results and hex maps, only if ../shared/data is next to the
checkout (nothing is downloaded and nothing fictional is invented here)."""

import os
from pathlib import Path

from django.conf import settings

from seats.importers import election_get_or_create, hexmap_import, read_source, results_import

RESULTS = [
    ("ge2017", "ge2017_results.csv"),
    ("ge2019", "ge2019_results.csv"),
    ("ge2024", "ge2024_results.csv"),
]
HEXMAPS = [
    ("2010", "hexmap_constituencies_2010_boundaries.hexjson"),
    ("2024", "hexmap_constituencies_2024_boundaries.hexjson"),
]


def shared_data_dir() -> Path:
    default = Path(settings.BASE_DIR).parent / "shared" / "data"
    return Path(os.environ.get("ALLIANCE_SHARED_DATA", default))


def load(stdout=None) -> bool:
    """Import the three general elections and both hex layouts (idempotent). False if absent."""

    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    folder = shared_data_dir()
    if not folder.is_dir():
        say(f"seats: no real election data at {folder}; no results loaded.")
        return False
    for slug, name in RESULTS:
        path = folder / name
        if not path.exists():
            say(f"seats: {path} missing, skipped.")
            continue
        report = results_import(
            text=read_source(str(path)), election=election_get_or_create(slug=slug)
        )
        say(
            f"seats: {slug} results: {report.imported} seats imported, "
            f"{len(report.errors)} rows rejected."
        )
    for boundary_set, name in HEXMAPS:
        path = folder / name
        if path.exists():
            report = hexmap_import(text=read_source(str(path)), boundary_set=boundary_set)
            say(f"seats: {boundary_set} hex map: {report.updated + report.created} hexes placed.")
    return True
