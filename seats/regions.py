"""The UK's nations and the English regions, keyed by their ONS codes."""

from django.db import models


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    SCOTLAND = "scotland", "Scotland"
    WALES = "wales", "Wales"
    NORTHERN_IRELAND = "northern-ireland", "Northern Ireland"


class Region(models.TextChoices):
    NORTH_EAST = "E12000001", "North East"
    NORTH_WEST = "E12000002", "North West"
    YORKSHIRE = "E12000003", "Yorkshire and The Humber"
    EAST_MIDLANDS = "E12000004", "East Midlands"
    WEST_MIDLANDS = "E12000005", "West Midlands"
    EAST = "E12000006", "East of England"
    LONDON = "E12000007", "London"
    SOUTH_EAST = "E12000008", "South East"
    SOUTH_WEST = "E12000009", "South West"
    WALES = "W92000004", "Wales"
    SCOTLAND = "S92000003", "Scotland"
    NORTHERN_IRELAND = "N92000002", "Northern Ireland"


def nation_of_region(region: str) -> str:
    return {
        "W": Nation.WALES,
        "S": Nation.SCOTLAND,
        "N": Nation.NORTHERN_IRELAND,
    }.get(region[:1], Nation.ENGLAND)
