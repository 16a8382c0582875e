"""Geometry for the server-rendered SVGs (hex map, bar chart): plain data for the templates."""

import math
from dataclasses import dataclass

HEX_SIZE = 6.0  # centre to corner, in SVG units
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


@dataclass(frozen=True)
class Bar:
    label: str
    votes: int
    share: float
    colour: str
    y: float
    width: float


BAR_HEIGHT = 26
BAR_GAP = 8
LABEL_WIDTH = 150
CHART_WIDTH = 640
VALUE_ROOM = 130


def bar_chart(rows: list[tuple[str, int, str]]) -> dict:
    """rows: (label, votes, colour) -> bars with geometry, biggest first."""
    rows = sorted(rows, key=lambda row: -row[1])
    total = sum(votes for _, votes, _ in rows) or 1
    top = max((votes for _, votes, _ in rows), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_ROOM
    bars = [
        Bar(
            label=label,
            votes=votes,
            share=100 * votes / total,
            colour=colour,
            y=i * (BAR_HEIGHT + BAR_GAP),
            width=max(1.0, room * votes / top),
        )
        for i, (label, votes, colour) in enumerate(rows)
    ]
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }
