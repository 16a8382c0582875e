"""Horizontal bar charts drawn on the server as SVG: plain numbers in, geometry out, no queries.

Every bar carries its label above it and its value as text beside it, so colour is never the
only signal; with `total`, a pale track behind each bar is the whole (the roll, everyone who
joined) and the value reads "412 of 1,000 (41%)". The axis under the bars marks 0, half and
the scale's top. templates/_partials/bar_chart.html draws it, with a table of the same
figures for screen readers (an SVG with role="img" is read as its title only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 360  # the drawing's width: 14-unit text stays at 14 px or more on a 390 px phone
LABEL_HEIGHT = 20
BAR_HEIGHT = 16
ROW_HEIGHT = 48
VALUE_ROOM = 130  # right of the longest bar, for its value
AXIS_ROOM = 30


@dataclass(frozen=True)
class HBar:
    label: str
    value: int
    text: str
    label_y: int
    y: int
    width: float
    value_x: float
    marked: bool  # drawn darker; the label says why ("elected", "eliminated")


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class HBarChart:
    title: str
    width: int
    height: int
    bar_height: int
    track_width: float | None
    bars: list[HBar]
    axis_y: int
    axis_end: float
    ticks: list[Tick]


def _percent(value: int, total: int) -> str:
    share = 100 * value / total
    return f"{share:.0f}%" if share == round(share) or share >= 10 else f"{share:.1f}%"


def hbar_chart(
    rows: Sequence[tuple[str, int]],
    *,
    title: str,
    total: int | None = None,
    scale_max: int | None = None,
    marked: Sequence[str] = (),
) -> HBarChart:
    """Bars for (label, value) rows, top to bottom. `total` is the whole each value is a part
    of (a track is drawn and the text gives the share); `scale_max` fixes the scale (charts
    side by side, e.g. the rounds of a count, then share one); otherwise the largest value or
    the total fills the width. Labels in `marked` are drawn darker."""
    top = max([1, scale_max or 0, total or 0, *(value for _, value in rows)])
    unit = (WIDTH - VALUE_ROOM) / top
    bars = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW_HEIGHT
        width = round(value * unit, 1)
        text = f"{value:,}"
        if total:
            text = f"{value:,} of {total:,} ({_percent(value, total)})"
        bars.append(
            HBar(
                label=label,
                value=value,
                text=text,
                label_y=y + LABEL_HEIGHT - 6,
                y=y + LABEL_HEIGHT,
                width=width,
                value_x=round((total * unit if total else width) + 6, 1),
                marked=label in marked,
            )
        )
    axis_y = len(rows) * ROW_HEIGHT
    half = top // 2
    ticks = [Tick(0, "0")]
    if 0 < half < top:
        ticks.append(Tick(round(half * unit, 1), f"{half:,}"))
    ticks.append(Tick(round(top * unit, 1), f"{top:,}"))
    return HBarChart(
        title=title,
        width=WIDTH,
        height=axis_y + AXIS_ROOM,
        bar_height=BAR_HEIGHT,
        track_width=round(total * unit, 1) if total else None,
        bars=bars,
        axis_y=axis_y,
        axis_end=round(top * unit, 1),
        ticks=ticks,
    )
