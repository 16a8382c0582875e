"""Importing the real House of Commons Library files, and broken ones."""

import csv
import http.server
import threading
from functools import partial

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from groups.models import Party
from seats.models import Constituency, Contest, Election, Result

pytestmark = pytest.mark.django_db

VALID = {"ge2017": "valid_votes", "ge2019": "Valid votes", "ge2024": "Valid votes"}
CODE = {"ge2017": "id", "ge2019": "ONS ID", "ge2024": "ONS ID"}


def file_rows(shared_data, slug):
    with open(shared_data / f"{slug}_results.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("slug", ["ge2017", "ge2019", "ge2024"])
def test_real_file_imports_650_seats_with_the_files_own_valid_votes(slug, import_real, shared_data):
    import_real(slug)
    election = Election.objects.get(slug=slug)
    assert Contest.objects.filter(election=election).count() == 650
    rows = file_rows(shared_data, slug)
    expected = {row[CODE[slug]]: int(row[VALID[slug]]) for row in rows}
    stored = dict(
        Result.objects.filter(election=election)
        .values("constituency__ons_code")
        .annotate(total=Sum("votes"))
        .values_list("constituency__ons_code", "total")
    )
    assert stored == expected
    assert sum(stored.values()) == sum(expected.values())
    contests = dict(
        Contest.objects.filter(election=election).values_list(
            "constituency__ons_code", "valid_votes"
        )
    )
    assert contests == expected


def test_real_imports_keep_boundary_sets_apart_and_reimport_is_idempotent(import_real):
    import_real("ge2017", "ge2019", "ge2024")
    assert Constituency.objects.filter(boundary_set="2010").count() == 650
    assert Constituency.objects.filter(boundary_set="2024").count() == 650
    before = sorted(Result.objects.values_list("pk", "votes"))
    import_real("ge2019")
    assert sorted(Result.objects.values_list("pk", "votes")) == before
    assert Constituency.objects.count() == 1300


def test_party_codes_land_on_one_party_each(import_real):
    import_real("ge2019", "ge2024")
    reform = Party.objects.get(short_name="RUK")
    # BRX (2019) and RUK (2024) are both Reform UK.
    assert Result.objects.filter(election__slug="ge2019", party=reform).exists()
    assert Result.objects.filter(election__slug="ge2024", party=reform).exists()
    for code in ("DUP", "SF", "SDLP", "UUP", "APNI"):
        assert Party.objects.get(short_name=code).is_progressive is False
    chorley = Contest.objects.get(election__slug="ge2019", constituency__name="Chorley")
    assert chorley.is_speaker_seat


def test_party_totals_match_published_figures(import_real):
    import_real("ge2019", "ge2024")
    con_2019 = Result.objects.filter(election__slug="ge2019", party__short_name="Con")
    assert con_2019.aggregate(t=Sum("votes"))["t"] == 13_966_454
    lab_2024 = Result.objects.filter(election__slug="ge2024", party__short_name="Lab")
    assert lab_2024.aggregate(t=Sum("votes"))["t"] == 9_708_716


HEADER_2019 = (
    "ONS ID,ONS region ID,Constituency name,County name,Region name,Country name,"
    "Constituency type,Declaration time,Member first name,Member surname,Member gender,Result,"
    "First party,Second party,Electorate,Valid votes,Invalid votes,Majority,Con,Lab,LD,BRX,Green,"
    "SNP,PC,DUP,SF,SDLP,UUP,APNI,All other candidates,Of which other winner"
)


def row(code, name, con, lab, ld, valid=None, other="0", first="Con", region="E12000009"):
    valid = valid if valid is not None else str(int(con) + int(lab) + int(ld) + int(other))
    return (
        f"{code},{region},{name},,South West,England,County,,A,B,Female,{first} hold,{first},Lab,"
        f"70000,{valid},100,1,{con},{lab},{ld},0,0,0,0,0,0,0,0,0,{other},0"
    )


BROKEN = "\n".join(
    [
        HEADER_2019,
        row("E14000001", "Goodtown", "20000", "15000", "5000"),  # line 2: good
        row("", "Nocode", "20000", "15000", "5000"),  # line 3: missing code
        row("E14000003", "Negative", "-5", "15000", "5000", valid="19995"),  # line 4
        row("E14000004", "Texty", "lots", "15000", "5000", valid="20000"),  # line 5
        row("E14000001", "Goodtown again", "20000", "15000", "5000"),  # line 6: duplicate
        row("E14000006", "Badsum", "20000", "15000", "5000", valid="99"),  # line 7
        row("E14000007", "Fineville", "10000", "25000", "5000", first="Lab"),  # line 8: good
    ]
)


def test_broken_rows_are_reported_with_line_numbers_and_good_rows_import(tmp_path, parties):
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN + "\n", encoding="utf-8")
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(
        "seats_import_results",
        str(path),
        election="test2029",
        date="2029-05-03",
        boundary_set="sample",
        stdout=out,
        stderr=err,
    )
    errors = err.getvalue()
    assert "line 3: missing constituency code" in errors
    assert "line 4: Con: negative number -5" in errors
    assert "line 5: Con: 'lots' is not a whole number" in errors
    assert "line 6: duplicate seat E14000001 (first on line 2)" in errors
    assert "line 7: party votes add up to 40000, not Valid votes 99" in errors
    assert "2 of 7 rows imported" in out.getvalue()
    assert sorted(Contest.objects.values_list("constituency__name", flat=True)) == [
        "Fineville",
        "Goodtown",
    ]
    assert (
        Result.objects.filter(constituency__name="Goodtown").aggregate(t=Sum("votes"))["t"] == 40000
    )


def test_a_corrected_file_updates_in_place(tmp_path, parties):
    path = tmp_path / "a.csv"
    path.write_text(HEADER_2019 + "\n" + row("E14000001", "Town", "300", "200", "100"))
    options = {"election": "t1", "date": "2029-05-03", "boundary_set": "sample"}
    call_command("seats_import_results", str(path), **options)
    path.write_text(HEADER_2019 + "\n" + row("E14000001", "Town", "300", "250", "0"))
    call_command("seats_import_results", str(path), **options)
    votes = dict(Result.objects.values_list("party__short_name", "votes"))
    assert votes == {"Con": 300, "Lab": 250}


def test_unknown_election_and_unreadable_file_are_command_errors(tmp_path, parties):
    with pytest.raises(CommandError, match="Unknown election"):
        call_command("seats_import_results", "x.csv", election="ge1900")
    with pytest.raises(CommandError, match="Could not read"):
        call_command("seats_import_results", str(tmp_path / "none.csv"), election="ge2019")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CommandError, match="Unrecognised columns"):
        call_command("seats_import_results", str(bad), election="ge2019")


def test_import_from_a_url(shared_data, parties):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(shared_data))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ge2017_results.csv"
        call_command("seats_import_results", url, election="ge2017")
    finally:
        server.shutdown()
    assert Contest.objects.filter(election__slug="ge2017").count() == 650


def test_hexmap_import_places_every_seat_and_creates_missing_ones(import_real, shared_data):
    call_command(
        "seats_import_hexmap",
        str(shared_data / "hexmap_constituencies_2024_boundaries.hexjson"),
        boundary_set="2024",
    )
    # No results imported yet: all 650 created from the hexjson with name and region.
    seats = Constituency.objects.filter(boundary_set="2024")
    assert seats.count() == 650
    assert not seats.filter(hex_q__isnull=True).exists()
    import_real("ge2024")
    assert Constituency.objects.filter(boundary_set="2024").count() == 650
    assert seats.filter(nation="scotland").count() == 57


def test_party_code_mapping_lives_in_one_place(parties):
    from seats.party_codes import canonical_code, party_for_code

    assert canonical_code("BRX") == canonical_code("RUK") == "RUK"
    assert canonical_code("Alliance") == canonical_code("APNI") == "APNI"
    assert canonical_code("ukip") == canonical_code("All other candidates") == "Other"
    assert canonical_code("other") == "Other"
    assert canonical_code("Lab Coop") == "Lab"
    assert canonical_code("Ind") == "Ind"  # a winner code, not a party column
    assert party_for_code("Spk") is None
    assert party_for_code("BRX").name == "Reform UK"
    assert party_for_code("Ind").short_name == "Other"
    dup = party_for_code("DUP")
    assert (dup.name, dup.is_progressive) == ("Democratic Unionist Party", False)
    assert party_for_code("dup") == dup  # created once
