"""The server-rendered SVGs: hex geometry, the bar chart, and the hex map of an election."""

import math
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.html import format_html_join

from groups.models import Party
from seats.models import Constituency, Contest
from seats.targets import election_seat_rows, results_version

HEX_SIZE = 6.0  # centre to corner, in SVG units
# The map is drawn at this scale (CSS px per SVG unit) inside a box that scrolls: a hexagon is
# then about 25 px across, big enough to tap; "Whole map" fits it to the box instead.
TAP_SCALE = 2.4
SQRT3 = math.sqrt(3)
NEUTRAL = "#c9ccd6"
HIGHLIGHT = "#b3261e"


def hex_points(size: float = HEX_SIZE) -> str:
    """A pointy-top hexagon around (0, 0), as an SVG points attribute."""
    return " ".join(
        f"{size * math.cos(math.radians(60 * i - 30)):.2f},"
        f"{size * math.sin(math.radians(60 * i - 30)):.2f}"
        for i in range(6)
    )


def hex_centre(q: int, r: int, size: float = HEX_SIZE) -> tuple[float, float]:
    """Odd-r layout: odd rows shifted right by half a hex; HexJSON r grows northwards."""
    x = SQRT3 * size * (q + 0.5 * (r & 1))
    y = -1.5 * size * r
    return round(x, 2), round(y, 2)


@dataclass(frozen=True)
class HexCell:
    x: float
    y: float
    fill: str
    url: str
    title: str


def hex_viewbox(cells: list[HexCell], size: float = HEX_SIZE) -> str:
    if not cells:
        return "0 0 100 100"
    xs, ys = [c.x for c in cells], [c.y for c in cells]
    pad = size * 1.5
    return (
        f"{min(xs) - pad:.1f} {min(ys) - pad:.1f} "
        f"{max(xs) - min(xs) + 2 * pad:.1f} {max(ys) - min(ys) + 2 * pad:.1f}"
    )


def hex_tap_size(viewbox: str) -> tuple[int, int]:
    """The map's width and height in px at TAP_SCALE (the <svg>'s width and height)."""
    _, _, width, height = (float(n) for n in viewbox.split())
    return round(width * TAP_SCALE), round(height * TAP_SCALE)


@dataclass(frozen=True)
class Bar:
    label: str
    votes: int
    share: float
    colour: str
    y: float
    width: float


# Each party is a row: its name and votes on a line of text, the bar under it across the full
# width. The chart is narrow (360 units) so its 14-unit text stays readable on a 390 px phone.
BAR_HEIGHT = 14
ROW_HEIGHT = 46
CHART_WIDTH = 360


def bar_chart(rows: list[tuple[str, int, str]]) -> dict:
    """rows: (label, votes, colour) -> bars with geometry, biggest first."""
    rows = sorted(rows, key=lambda row: -row[1])
    total = sum(votes for _, votes, _ in rows) or 1
    top = max((votes for _, votes, _ in rows), default=0) or 1
    bars = [
        Bar(
            label=label,
            votes=votes,
            share=100 * votes / total,
            colour=colour,
            y=i * ROW_HEIGHT,
            width=max(1.0, CHART_WIDTH * votes / top),
        )
        for i, (label, votes, colour) in enumerate(rows)
    ]
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(bars) * ROW_HEIGHT, ROW_HEIGHT),
        "bar_height": BAR_HEIGHT,
    }


def hexmap_render(election, bloc, colour_by) -> dict:
    """The map's hexes as ready SVG markup, cached until the election's results change."""
    # The importer bumps results_version; the contest count and last id catch other writes.
    seen = Contest.objects.filter(election=election).aggregate(n=Count("pk"), last=Max("pk"))
    version = f"{results_version(election)}-{seen['n']}-{seen['last']}"
    key = f"seats:hexmap:{election.pk}:{','.join(sorted(bloc))}:{colour_by}:{version}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    analyses = {row.constituency.pk: row.analysis for row in election_seat_rows(election, bloc)}
    colours = dict(Party.objects.values_list("short_name", "colour"))
    url_template = reverse("seats:detail", args=["BOUNDARIES", "ONSCODE"])
    cells, legend = [], {}
    for seat in Constituency.objects.filter(
        boundary_set=election.boundary_set, hex_q__isnull=False
    ).only("pk", "name", "ons_code", "boundary_set", "hex_q", "hex_r"):
        a = analyses.get(seat.pk)
        x, y = hex_centre(seat.hex_q, seat.hex_r)
        if a is None:
            fill, legend_key, title = NEUTRAL, "No party result (Speaker or no data)", seat.name
        elif colour_by == "best":
            legend_key = a.best_placed or "No progressive candidate"
            fill = colours.get(a.best_placed, NEUTRAL)
            title = f"{seat.name}: best-placed progressive {a.best_placed or 'none'}"
        elif colour_by == "pml":
            legend_key = (
                "Conservative win despite a progressive majority"
                if a.progressive_majority_lost
                else "Other seats"
            )
            fill = HIGHLIGHT if a.progressive_majority_lost else NEUTRAL
            title = f"{seat.name}: {a.winner} won" + (
                ", progressive majority lost" if a.progressive_majority_lost else ""
            )
        else:
            legend_key = a.winner or "None"
            fill = colours.get(a.winner, NEUTRAL)
            title = f"{seat.name}: won by {a.winner}, majority {a.majority:,}"
        legend.setdefault(legend_key, fill)
        url = url_template.replace("BOUNDARIES", seat.boundary_set).replace(
            "ONSCODE", seat.ons_code
        )
        cells.append(
            HexCell(x=x, y=y, fill=fill, url=f"{url}?election={election.slug}", title=title)
        )
    value = {
        "cells_svg": format_html_join(
            "\n",
            '<a href="{}" aria-label="{}"><title>{}</title>'
            '<use href="#hex" x="{}" y="{}" fill="{}"/></a>',
            ((c.url, c.title, c.title, c.x, c.y, c.fill) for c in cells),
        ),
        "count": len(cells),
        "viewbox": hex_viewbox(cells),
        "legend": sorted(legend.items()),
    }
    cache.set(key, value, 60 * 10)
    return value


# --- Counts on the hex map (petition signatures by constituency) ------------------------------

COUNT_SCALE = ("#d4daf5", "#9fadea", "#6a7fd8", "#3d53b8", "#1c2b7a")  # fewest to most


def hex_seats_cache_key(boundary_set: str) -> str:
    return f"seats:hexseats:{boundary_set}"


def _hex_seats(boundary_set: str) -> list[tuple[int, str, str, int, int]]:
    """(pk, name, ons code, q, r) of every seat on the map of this boundary set, cached for an
    hour (no query at all on a petition page): the hex map changes only when it is imported
    again, and the importer drops this cache (`seats/importers.py: hexmap_import`)."""
    key = hex_seats_cache_key(boundary_set)
    seats = cache.get(key)
    if seats is None:
        seats = list(
            Constituency.objects.filter(boundary_set=boundary_set, hex_q__isnull=False)
            .order_by("pk")
            .values_list("pk", "name", "ons_code", "hex_q", "hex_r")
        )
        cache.set(key, seats, 60 * 60)
    return seats


def count_bins(top: int) -> list[int]:
    """Upper bounds of the five colour bins for counts from 1 to `top` (equal widths, at
    least 1 each): top 10 gives [2, 4, 6, 8, 10]; top 3 gives [1, 2, 3]."""
    if top <= 0:
        return []
    return sorted({max(1, math.ceil(top * k / len(COUNT_SCALE))) for k in range(1, 6)})


def hexmap_counts(
    *, counts: dict[int, int], boundary_set: str, url_template: str, noun: str
) -> dict:
    """The hex map of one count per seat (`counts`: constituency id -> n): every seat of the
    boundary set, darker for more, grey for none. `url_template` holds "ONSCODE"; `noun` is
    singular, e.g. "signature"."""
    bounds = count_bins(max(counts.values(), default=0))
    colours = COUNT_SCALE[len(COUNT_SCALE) - len(bounds) :]
    cells = []
    for pk, name, ons_code, q, r in _hex_seats(boundary_set):
        n = counts.get(pk, 0)
        fill = NEUTRAL
        if n:
            fill = next(c for bound, c in zip(bounds, colours, strict=True) if n <= bound)
        x, y = hex_centre(q, r)
        cells.append(
            HexCell(
                x=x,
                y=y,
                fill=fill,
                url=url_template.replace("ONSCODE", ons_code),
                title=f"{name}: {n:,} {noun}{'' if n == 1 else 's'}",
            )
        )
    legend, low = [(f"No {noun}s", NEUTRAL)], 1
    for bound, colour in zip(bounds, colours, strict=True):
        legend.append((f"{low:,}" if low == bound else f"{low:,}–{bound:,}", colour))
        low = bound + 1
    return {
        "cells_svg": format_html_join(
            "\n",
            '<a href="{}" aria-label="{}"><title>{}</title>'
            '<use href="#hex" x="{}" y="{}" fill="{}"/></a>',
            ((c.url, c.title, c.title, c.x, c.y, c.fill) for c in cells),
        ),
        "count": len(cells),
        "viewbox": hex_viewbox(cells),
        # Drawn at its width attribute inside a scrolling box: hexagons big enough to tap.
        "tap_size": hex_tap_size(hex_viewbox(cells)),
        "legend": legend,
        "hex_points": hex_points(),
    }


LOCATOR_CACHE_SECONDS = 60 * 60


def hexmap_locator(constituencies) -> dict | None:
    """ "Where is it?" without a tile server: every constituency of the boundary set as a grey
    hex, the given ones in red (drawn last, so on top). The grey layout is cached per boundary
    set; None when none of them has a place on the hex map."""
    seats = [seat for seat in constituencies if seat.hex_q is not None]
    if not seats:
        return None
    boundary_set = seats[0].boundary_set
    key = f"seats:hexlocator:{boundary_set}"
    layout = cache.get(key)
    if layout is None:
        layout = [
            (pk, *hex_centre(q, r))
            for pk, q, r in Constituency.objects.filter(
                boundary_set=boundary_set, hex_q__isnull=False
            ).values_list("pk", "hex_q", "hex_r")
        ]
        cache.set(key, layout, LOCATOR_CACHE_SECONDS)
    chosen = {seat.pk for seat in seats if seat.boundary_set == boundary_set}
    grey = [HexCell(x=x, y=y, fill=NEUTRAL, url="", title="") for pk, x, y in layout]
    red = [
        HexCell(x=x, y=y, fill=HIGHLIGHT, url="", title="") for pk, x, y in layout if pk in chosen
    ]
    return {
        "cells_svg": format_html_join(
            "",
            '<use href="#hex-locator" x="{}" y="{}" fill="{}"/>',
            ((c.x, c.y, c.fill) for c in [*grey, *red]),
        ),  # fmt: skip
        "viewbox": hex_viewbox(grey),
        "hex_points": hex_points(),
        "names": [seat.name for seat in seats if seat.boundary_set == boundary_set],
    }
