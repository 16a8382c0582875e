"""Importers for the House of Commons Library results CSVs and HexJSON layouts.

Results: every row is validated first (bad rows are reported with their line number and reason and
left out), then all good rows are upserted in bulk in one transaction, so a re-import of the same
file changes nothing and a corrected file updates in place.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import requests
from django.core.cache import cache
from django.db import transaction

from seats.models import BoundarySet, Constituency, Contest, Election, Result
from seats.party_codes import canonical_code, party_for_code
from seats.regions import Region, nation_of_region
from seats.targets import results_changed

URL_TIMEOUT_SECONDS = 20

KNOWN_ELECTIONS: dict[str, tuple[str, date, str]] = {
    "ge2017": ("General election 2017", date(2017, 6, 8), BoundarySet.B2010),
    "ge2019": ("General election 2019", date(2019, 12, 12), BoundarySet.B2010),
    "ge2024": ("General election 2024", date(2024, 7, 4), BoundarySet.B2024),
}

ONS_CODE_RE = re.compile(r"^[ESWN]\d{8}$")
# Counts are stored in PostgreSQL integer columns; no constituency comes near this.
MAX_COUNT = 2_147_483_647


@dataclass(frozen=True)
class Schema:
    code: str
    region: str
    name: str
    electorate: str
    valid: str
    invalid: str
    majority: str
    first: str
    second: str
    other_winner: str
    party_columns: tuple[str, ...]


SCHEMA_2019 = Schema(
    code="ONS ID",
    region="ONS region ID",
    name="Constituency name",
    electorate="Electorate",
    valid="Valid votes",
    invalid="Invalid votes",
    majority="Majority",
    first="First party",
    second="Second party",
    other_winner="Of which other winner",
    party_columns=(
        "Con",
        "Lab",
        "LD",
        "BRX",
        "RUK",
        "Green",
        "SNP",
        "PC",
        "DUP",
        "SF",
        "SDLP",
        "UUP",
        "APNI",
        "All other candidates",
    ),
)
SCHEMA_2017 = Schema(
    code="id",
    region="ons_region_id",
    name="constituency_name",
    electorate="electorate",
    valid="valid_votes",
    invalid="invalid_votes",
    majority="majority",
    first="first_party",
    second="second_party",
    other_winner="other_winner",
    party_columns=(
        "con",
        "lab",
        "ld",
        "ukip",
        "green",
        "snp",
        "pc",
        "dup",
        "sf",
        "sdlp",
        "uup",
        "alliance",
        "other",
    ),
)


class ImportFileError(Exception):
    """The file as a whole cannot be read (unknown columns, unreachable URL)."""


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    rows_read: int = 0
    imported: int = 0
    constituencies_created: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _GoodRow:
    line: int
    code: str
    name: str
    region: str
    electorate: int | None
    valid: int
    invalid: int | None
    majority: int | None
    first: str
    second: str
    other_winner_votes: int
    votes: dict[str, int]  # canonical party code -> votes (Other merged)


def election_get_or_create(
    *, slug: str, name: str = "", on: date | None = None, boundary_set: str = ""
) -> Election:
    """The election for a slug: known slugs (ge2017, ge2019, ge2024) need nothing else."""
    known = KNOWN_ELECTIONS.get(slug)
    if known is None and not (on and boundary_set):
        raise ImportFileError(
            f"Unknown election {slug!r}: give --date and --boundary-set (known: "
            + ", ".join(KNOWN_ELECTIONS)
            + ")"
        )
    default_name, default_date, default_set = known or (slug, on, boundary_set)
    election, _ = Election.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name or default_name,
            "date": on or default_date,
            "boundary_set": boundary_set or default_set,
        },
    )
    return election


def read_source(source: str) -> str:
    """The text of a local file or an http(s) URL (UTF-8, BOM tolerated)."""
    if source.startswith(("http://", "https://")):
        try:
            response = requests.get(source, timeout=URL_TIMEOUT_SECONDS)
            response.raise_for_status()
        except requests.RequestException as error:
            raise ImportFileError(f"Could not download {source}: {error}")
        return response.content.decode("utf-8-sig")
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except OSError as error:
        raise ImportFileError(f"Could not read {source}: {error}")


def _schema_for(header: list[str]) -> Schema:
    columns = {h.strip() for h in header}
    for schema in (SCHEMA_2019, SCHEMA_2017):
        if {schema.code, schema.valid, schema.first}.issubset(columns):
            return schema
    raise ImportFileError(
        "Unrecognised columns: expected the House of Commons Library results format "
        "('ONS ID', 'Valid votes', ... or 2017's 'id', 'valid_votes', ...)."
    )


def _whole_number(row: dict, column: str, *, required: bool = True) -> int | None:
    raw = (row.get(column) or "").strip().replace(",", "")
    if raw == "":
        if required:
            raise ValueError(f"{column} is empty")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{column}: {raw[:30]!r} is not a whole number")
    if value < 0:
        raise ValueError(f"{column}: negative number {value}")
    if value > MAX_COUNT:
        raise ValueError(f"{column}: {value} is far too large")
    return value


def _validate_row(row: dict, schema: Schema, line: int) -> _GoodRow:
    if any("\x00" in (value or "") for value in row.values()):
        raise ValueError("the row contains a NUL character")
    code = (row.get(schema.code) or "").strip()
    if not code:
        raise ValueError("missing constituency code")
    if not ONS_CODE_RE.match(code):
        raise ValueError(f"{code[:20]!r} is not an ONS constituency code")
    name = (row.get(schema.name) or "").strip()
    if not name:
        raise ValueError("missing constituency name")
    region = (row.get(schema.region) or "").strip()
    if region not in Region.values:
        raise ValueError(f"unknown ONS region {region[:20]!r}")
    first = (row.get(schema.first) or "").strip()
    if not first:
        raise ValueError("missing first party")
    votes: dict[str, int] = {}
    for column in schema.party_columns:
        if column not in row:
            continue
        value = _whole_number(row, column, required=False) or 0
        party = canonical_code(column)
        votes[party] = votes.get(party, 0) + value
    valid = _whole_number(row, schema.valid)
    if sum(votes.values()) != valid:
        raise ValueError(f"party votes add up to {sum(votes.values())}, not Valid votes {valid}")
    return _GoodRow(
        line=line,
        code=code,
        name=name[:120],
        region=region,
        electorate=_whole_number(row, schema.electorate, required=False),
        valid=valid,
        invalid=_whole_number(row, schema.invalid, required=False),
        majority=_whole_number(row, schema.majority, required=False),
        first=canonical_code(first)[:40],
        second=canonical_code((row.get(schema.second) or "").strip())[:40],
        other_winner_votes=_whole_number(row, schema.other_winner, required=False) or 0,
        votes=votes,
    )


def results_import(
    *,
    text: str,
    election: Election,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate every row, then upsert the good ones (constituencies, contests, results)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
        header = [h.strip() for h in header]
        schema = _schema_for(header)
        rows = list(reader_rows(reader, header))
    except StopIteration:
        raise ImportFileError("The file is empty.")
    except csv.Error as error:  # e.g. a quote that never closes
        raise ImportFileError(f"This is not a readable CSV file (line {reader.line_num}): {error}")
    report = ImportReport()
    good: list[_GoodRow] = []
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(rows, start=1):
        report.rows_read += 1
        if progress:
            progress(index, len(rows))
        try:
            checked = _validate_row(row, schema, line)
        except ValueError as error:
            report.errors.append(RowError(line, str(error)))
            continue
        if checked.code in seen:
            report.errors.append(
                RowError(
                    line, f"duplicate seat {checked.code} (first on line {seen[checked.code]})"
                )
            )
            continue
        seen[checked.code] = line
        good.append(checked)
    _upsert(good, election, report)
    return report


def reader_rows(reader: Iterable[list[str]], header: list[str]):
    """(line number, row dict) for every non-blank record; line numbers count the header as 1."""
    for record in reader:
        line = reader.line_num  # type: ignore[attr-defined]
        if not any(cell.strip() for cell in record):
            continue
        yield line, dict(zip(header, record, strict=False))


@transaction.atomic
def _upsert(good: list[_GoodRow], election: Election, report: ImportReport) -> None:
    if not good:
        return
    boundary_set = election.boundary_set
    existing = set(
        Constituency.objects.filter(
            boundary_set=boundary_set, ons_code__in=[g.code for g in good]
        ).values_list("ons_code", flat=True)
    )
    Constituency.objects.bulk_create(
        [
            Constituency(
                ons_code=g.code,
                name=g.name,
                boundary_set=boundary_set,
                region=g.region,
                nation=nation_of_region(g.region),
                electorate=g.electorate,
            )
            for g in good
        ],
        update_conflicts=True,
        unique_fields=["ons_code", "boundary_set"],
        update_fields=["name", "region", "nation", "electorate"],
    )
    report.constituencies_created = len({g.code for g in good} - existing)
    seat_ids = dict(
        Constituency.objects.filter(
            boundary_set=boundary_set, ons_code__in=[g.code for g in good]
        ).values_list("ons_code", "pk")
    )
    Contest.objects.bulk_create(
        [
            Contest(
                election=election,
                constituency_id=seat_ids[g.code],
                electorate=g.electorate,
                valid_votes=g.valid,
                invalid_votes=g.invalid,
                majority=g.majority,
                winner_code=g.first,
                second_code=g.second,
                other_winner_votes=g.other_winner_votes,
            )
            for g in good
        ],
        update_conflicts=True,
        unique_fields=["election", "constituency"],
        update_fields=[
            "electorate",
            "valid_votes",
            "invalid_votes",
            "majority",
            "winner_code",
            "second_code",
            "other_winner_votes",
        ],
    )
    party_cache: dict = {}
    results = []
    for g in good:
        for code, votes in g.votes.items():
            if votes > 0:
                party = party_for_code(code, cache=party_cache)
                results.append(
                    Result(
                        election=election,
                        constituency_id=seat_ids[g.code],
                        party=party,
                        votes=votes,
                    )
                )
    Result.objects.bulk_create(
        results,
        update_conflicts=True,
        unique_fields=["election", "constituency", "party"],
        update_fields=["votes"],
    )
    # Parties that had votes in an earlier import of this seat but none now.
    keep = {(r.constituency_id, r.party.pk) for r in results}
    stale = [
        pk
        for pk, seat_id, party_id in Result.objects.filter(
            election=election, constituency_id__in=seat_ids.values()
        ).values_list("pk", "constituency_id", "party_id")
        if (seat_id, party_id) not in keep
    ]
    if stale:
        Result.objects.filter(pk__in=stale).delete()
    report.imported = len(good)
    transaction.on_commit(lambda: results_changed(election))


# --- HexJSON -----------------------------------------------------------------------------------

SHORT_REGIONS = {
    "NE": Region.NORTH_EAST,
    "NW": Region.NORTH_WEST,
    "YH": Region.YORKSHIRE,
    "EM": Region.EAST_MIDLANDS,
    "WM": Region.WEST_MIDLANDS,
    "EA": Region.EAST,
    "LO": Region.LONDON,
    "SE": Region.SOUTH_EAST,
    "SW": Region.SOUTH_WEST,
    "WA": Region.WALES,
    "SC": Region.SCOTLAND,
    "NI": Region.NORTHERN_IRELAND,
}
NATION_REGIONS = {"W": Region.WALES, "S": Region.SCOTLAND, "N": Region.NORTHERN_IRELAND}


@dataclass
class HexImportReport:
    updated: int = 0
    created: int = 0
    errors: list[str] = field(default_factory=list)


def _hex_region(code: str, hexdata: dict) -> str | None:
    region = hexdata.get("region") or SHORT_REGIONS.get(hexdata.get("a", ""))
    if region in Region.values:
        return region
    return NATION_REGIONS.get(code[:1])


@transaction.atomic
def hexmap_import(*, text: str, boundary_set: str) -> HexImportReport:
    """Put HexJSON q/r onto constituencies of a boundary set, creating missing ones."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
        hexes = data["hexes"]
        layout = data.get("layout", "odd-r")
    except (ValueError, KeyError, TypeError) as error:
        raise ImportFileError(f"Not a HexJSON file: {error}")
    if layout != "odd-r":
        raise ImportFileError(f"Only the odd-r layout is supported, not {layout!r}.")
    report = HexImportReport()
    existing = {c.ons_code: c for c in Constituency.objects.filter(boundary_set=boundary_set)}
    to_update, to_create = [], []
    for code, hexdata in hexes.items():
        try:
            q, r = int(hexdata["q"]), int(hexdata["r"])
        except (KeyError, TypeError, ValueError):
            report.errors.append(f"{code}: no integer q/r")
            continue
        seat = existing.get(code)
        if seat is not None:
            seat.hex_q, seat.hex_r = q, r
            to_update.append(seat)
            continue
        region = _hex_region(code, hexdata)
        name = str(hexdata.get("n") or "").strip()
        if not ONS_CODE_RE.match(code) or region is None or not name:
            report.errors.append(f"{code}: missing name, region or a valid ONS code")
            continue
        to_create.append(
            Constituency(
                ons_code=code,
                name=name[:120],
                boundary_set=boundary_set,
                region=region,
                nation=nation_of_region(region),
                hex_q=q,
                hex_r=r,
            )
        )
    Constituency.objects.bulk_update(to_update, ["hex_q", "hex_r"], batch_size=500)
    Constituency.objects.bulk_create(to_create)
    from seats.charts import hex_seats_cache_key

    cache.delete(hex_seats_cache_key(boundary_set))
    report.updated, report.created = len(to_update), len(to_create)
    return report
