"""The UK parties Alliance knows from the start. Seats maps result-file abbreviations onto these."""

from groups.models import Party

# name, short name (as in the House of Commons Library files), colour, progressive
UK_PARTIES: list[tuple[str, str, str, bool]] = [
    ("Conservative", "Con", "#0087DC", False),
    ("Labour", "Lab", "#E4003B", True),
    ("Liberal Democrats", "LD", "#FAA61A", True),
    ("Green Party", "Green", "#02A95B", True),
    ("Scottish National Party", "SNP", "#FDF38E", True),
    ("Plaid Cymru", "PC", "#005B54", True),
    ("Reform UK", "RUK", "#12B6CF", False),
    ("Women's Equality Party", "WEP", "#794A9E", True),
    ("Other", "Other", "#9E9E9E", False),
]


def parties_seed() -> list[Party]:
    """Create the known parties if missing (idempotent); never overwrite an admin's edits."""
    from django.utils.text import slugify

    return [
        Party.objects.get_or_create(
            short_name=short_name,
            defaults={
                "name": name,
                "slug": slugify(name),
                "colour": colour,
                "is_progressive": progressive,
            },
        )[0]
        for name, short_name, colour, progressive in UK_PARTIES
    ]
