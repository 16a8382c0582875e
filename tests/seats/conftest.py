import pytest
from django.core.management import call_command

from groups.parties import parties_seed

FILES = {
    "ge2017": "ge2017_results.csv",
    "ge2019": "ge2019_results.csv",
    "ge2024": "ge2024_results.csv",
}


@pytest.fixture
def parties(db):
    return {p.short_name: p for p in parties_seed()}


@pytest.fixture
def import_real(shared_data, parties):
    """Import one or more real results files (and their hex maps) into the test database."""

    def load(*slugs: str, hexes: bool = False) -> None:
        for slug in slugs:
            call_command("seats_import_results", str(shared_data / FILES[slug]), election=slug)
        if hexes:
            for boundary_set in ("2010", "2024"):
                call_command(
                    "seats_import_hexmap",
                    str(shared_data / f"hexmap_constituencies_{boundary_set}_boundaries.hexjson"),
                    boundary_set=boundary_set,
                )

    return load
