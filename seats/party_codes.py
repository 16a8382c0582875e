"""Party abbreviations in the House of Commons Library files -> Alliance parties. ONE place.

Every importer and report goes through `party_for_code` / `canonical_code`, so a new spelling is
fixed here and nowhere else.

- 'BRX' (Brexit Party, 2019) and 'RUK' (Reform UK, 2024) are the same party: the Brexit Party
  renamed itself Reform UK in January 2021, so both map to Reform UK ('RUK').
- 'ukip' (2017 column) has no party of its own here: it goes into the Other bucket, as UKIP
  does in the 2019/2024 files (where it is inside "All other candidates").
- Northern Ireland parties (DUP, SF, SDLP, UUP, Alliance/APNI, TUV) are created on first use as
  non-progressive parties (the default bloc is the GB progressive parties).
- 'All other candidates' / 'other' are the Other bucket; 'Spk' is the Speaker (not a party).
- Labour Co-operative candidates are already inside 'Lab' in the files.
"""

from django.utils.text import slugify

OTHER = "Other"
SPEAKER = "Spk"

# Column or First/Second-party spelling (lower-cased) -> canonical short name.
ALIASES: dict[str, str] = {
    "con": "Con",
    "lab": "Lab",
    "lab coop": "Lab",
    "ld": "LD",
    "brx": "RUK",
    "ruk": "RUK",
    "green": "Green",
    "snp": "SNP",
    "pc": "PC",
    "dup": "DUP",
    "sf": "SF",
    "sdlp": "SDLP",
    "uup": "UUP",
    "apni": "APNI",
    "alliance": "APNI",
    "tuv": "TUV",
    "ukip": OTHER,
    "other": OTHER,
    "all other candidates": OTHER,
    "spk": SPEAKER,
}

# Parties not seeded by groups/parties.py: created on demand (name, colour), not progressive.
EXTRA_PARTIES: dict[str, tuple[str, str]] = {
    "DUP": ("Democratic Unionist Party", "#D46A4C"),
    "SF": ("Sinn Féin", "#326760"),
    "SDLP": ("Social Democratic and Labour Party", "#2AA82C"),
    "UUP": ("Ulster Unionist Party", "#48A5EE"),
    "APNI": ("Alliance Party of Northern Ireland", "#F6CB2F"),
    "TUV": ("Traditional Unionist Voice", "#0C3A6A"),
}

DEFAULT_BLOC: tuple[str, ...] = ("Lab", "LD", "Green", "SNP", "PC")


def canonical_code(raw: str) -> str:
    """'BRX' -> 'RUK', 'Alliance' -> 'APNI', 'ukip' -> 'Other'; unknown codes stay as they are
    (e.g. 'Ind', 'WPB' for winners/runners-up outside the fixed party columns)."""
    text = (raw or "").strip()
    return ALIASES.get(text.lower(), text)


def party_for_code(raw: str, *, cache: dict | None = None):
    """The Party for a party column or code (created if it is a known NI party), or None for the
    Speaker. Codes without a party of their own (Ind, WPB, ...) go to the Other bucket."""
    from groups.models import Party
    from groups.parties import parties_seed

    code = canonical_code(raw)
    if code == SPEAKER:
        return None
    if cache is not None and code in cache:
        return cache[code]
    party = Party.objects.filter(short_name=code).first()
    if party is None and code in EXTRA_PARTIES:
        name, colour = EXTRA_PARTIES[code]
        party, _ = Party.objects.get_or_create(
            short_name=code,
            defaults={"name": name, "slug": slugify(name), "colour": colour},
        )
    if party is None:
        # A GB party not seeded yet, or a code without a party column: seed, then look again.
        parties_seed()
        party = Party.objects.filter(short_name=code).first() or Party.objects.get(short_name=OTHER)
    if cache is not None:
        cache[code] = party
    return party
