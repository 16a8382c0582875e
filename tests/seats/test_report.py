"""seats_report against counts computed here straight from the CSV with the csv module."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

COLUMNS = {
    # slug: (first party, Con column, {party: column})
    "ge2017": (
        "first_party",
        "con",
        {"Lab": "lab", "LD": "ld", "Green": "green", "SNP": "snp", "PC": "pc"},
    ),
    "ge2019": (
        "First party",
        "Con",
        {"Lab": "Lab", "LD": "LD", "Green": "Green", "SNP": "SNP", "PC": "PC"},
    ),
    "ge2024": (
        "First party",
        "Con",
        {"Lab": "Lab", "LD": "LD", "Green": "Green", "SNP": "SNP", "PC": "PC"},
    ),
}


def independent_count(shared_data, slug, bloc):
    first, con, columns = COLUMNS[slug]
    with open(shared_data / f"{slug}_results.csv", encoding="utf-8-sig", newline="") as handle:
        return sum(
            1
            for row in csv.DictReader(handle)
            if row[first] == "Con" and sum(int(row[columns[p]]) for p in bloc) > int(row[con])
        )


@pytest.mark.parametrize("slug", ["ge2017", "ge2019", "ge2024"])
def test_report_counts_match_the_csv(slug, import_real, shared_data):
    import_real(slug)
    for bloc in (("Lab", "LD", "Green", "SNP", "PC"), ("Lab", "LD", "Green")):
        expected = independent_count(shared_data, slug, bloc)
        assert expected > 0
        out = StringIO()
        call_command("seats_report", election=slug, bloc=",".join(bloc), stdout=out)
        assert out.getvalue().startswith(f"{slug}: {expected} seats won by the Conservatives")
    out = StringIO()
    call_command("seats_report", election=slug, verbosity=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + independent_count(shared_data, slug, COLUMNS[slug][2].keys())
