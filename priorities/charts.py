"""A server-side SVG bar chart of ranked clusters: plain numbers in, geometry out.

Each cluster gets its name and figures on one line, a bar of notes split into party colours
and a bar of dots beneath. Bars share one scale (the largest count fills the width).
"""

from __future__ import annotations

from dataclasses import dataclass

from priorities.results import NO_PARTY, RankedCluster

WIDTH = 360  # narrow, so 14-unit labels stay readable on a 390 px phone
ROW_HEIGHT = 64
LABEL_HEIGHT = 20
BAR_HEIGHT = 14
DOTS_COLOUR = "#3f51b5"
NO_PARTY_COLOUR = "#bbbbbb"


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    label: str


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    figures: str
    segments: list[Segment]
    dots_y: int
    dots_width: float
    text_x: float
    dots_text_x: float
    notes: int
    dots: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    bar_height: int
    dots_colour: str


def bar_chart(rows: list[RankedCluster], colours: dict[str, str], *, limit: int = 15) -> Chart:
    rows = rows[:limit]
    biggest = max([1, *(r.notes for r in rows), *(r.dots for r in rows)])
    unit = (WIDTH - 70) / biggest
    bars = []
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT
        x = 0.0
        segments = []
        for party, count in row.breakdown:
            width = count * unit
            colour = NO_PARTY_COLOUR if party == NO_PARTY else colours.get(party, "#777777")
            segments.append(Segment(round(x, 1), round(width, 1), colour, f"{party}: {count}"))
            x += width
        dots_width = round(row.dots * unit, 1)
        bars.append(
            Bar(
                y=y + LABEL_HEIGHT,
                label=row.name,
                figures=f"{row.notes} note{'s' if row.notes != 1 else ''} · "
                f"{row.dots} dot{'s' if row.dots != 1 else ''}",
                segments=segments,
                dots_y=y + LABEL_HEIGHT + BAR_HEIGHT + 4,
                dots_width=dots_width,
                text_x=round(x + 6, 1),
                dots_text_x=round(dots_width + 6, 1),
                notes=row.notes,
                dots=row.dots,
            )
        )
    return Chart(
        width=WIDTH,
        height=max(ROW_HEIGHT, len(rows) * ROW_HEIGHT),
        bars=bars,
        bar_height=BAR_HEIGHT,
        dots_colour=DOTS_COLOUR,
    )
