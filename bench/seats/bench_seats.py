"""Seats: the target list, its CSV, the hex map and a seat page over the real 2019/2024 results.

Every target-list request analyses all 650 seats of an election in Python from two queries
(contests, results): this section shows what that costs next to /ping/. The count of
Conservative wins despite a progressive majority and the hex map markup are cached per election
and bloc, so query counts are taken on a warm cache, with a 10-seat bench election and with the
real 650-seat ge2019 one (anonymous: the target list then comes from the whole-page cache,
seats/targets.py: page_cache_get, with no query). Needs ../shared/data (the real files).
"""

from __future__ import annotations

PAGES = {
    "target list (ge2019, 650 seats)": "/seats/?election=ge2019",
    "target list, filtered (pml, London)": "/seats/?election=ge2019&flag=pml&region=E12000007",
    "target list, Lab+LD+Green bloc": "/seats/?election=ge2019&bloc=Lab&bloc=LD&bloc=Green",
    "target list CSV (650 rows)": "/seats/?election=ge2019&format=csv",
    "hex map (ge2024)": "/seats/map/?election=ge2024",
    "seat page (Aldershot)": "/seats/2010/E14000530/",
    "target list (ge2024, 650 seats)": "/seats/?election=ge2024",
    "postcode advice page (Aldershot, 2024)": "/seats/advice/E14001063/",
    "advice embed card (Aldershot, 2024)": "/seats/embed/E14001063/",
}


def seed_small() -> None:
    """A 10-seat bench election on the sample boundary set."""
    from groups.models import Party
    from groups.parties import parties_seed
    from seats.models import Constituency, Contest, Election, Result

    parties_seed()
    election, _ = Election.objects.get_or_create(
        slug="bench10",
        defaults={"name": "Bench 10", "date": "2029-05-03", "boundary_set": "sample"},
    )
    con, lab, ld = (Party.objects.get(short_name=s) for s in ("Con", "Lab", "LD"))
    for n in range(10):
        seat, _ = Constituency.objects.get_or_create(
            ons_code=f"X9{n:07d}",
            boundary_set="sample",
            defaults={
                "name": f"Bench seat {n}",
                "nation": "england",
                "region": "E12000009",
                "hex_q": n,
                "hex_r": 0,
            },
        )
        Contest.objects.get_or_create(
            election=election,
            constituency=seat,
            defaults={"valid_votes": 41000, "winner_code": "Con", "majority": 5000},
        )
        for party, votes in ((con, 20000), (lab, 15000), (ld, 6000)):
            Result.objects.get_or_create(
                election=election, constituency=seat, party=party, defaults={"votes": votes}
            )


def run(report) -> None:
    from seats import demo

    report.section("Seats (target list, CSV, hex map, seat page)")
    if not demo.load():
        report.note("seats", "skipped: ../shared/data not found")
        return
    seed_small()
    for path in (
        "/seats/?election=bench10",
        "/seats/map/?election=bench10",
        "/seats/?election=ge2019",
        "/seats/map/?election=ge2019",
    ):
        report.query_count(path)  # warm the per-election caches: compare like with like
    small = {
        "target list": report.query_count("/seats/?election=bench10"),
        "hex map": report.query_count("/seats/map/?election=bench10"),
    }
    large = {
        "target list": report.query_count("/seats/?election=ge2019"),
        "hex map": report.query_count("/seats/map/?election=ge2019"),
    }
    for name in small:
        verdict = "same" if small[name] == large[name] else "GROWS"
        report.note(
            f"queries: {name} (anonymous, warm caches)",
            f"{small[name]} with 10 seats, {large[name]} with 650 ({verdict})",
        )
    for name, path in PAGES.items():
        report.measure(name, path, requests=120)
