"""A small server-rendered SVG line chart with axes: plain data in, geometry out, no queries."""

from dataclasses import dataclass, field
from datetime import date, datetime

# The plot area inside the SVG (units: SVG px; text is 14 units, readable from a 390 px phone).
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 14, 34


@dataclass(frozen=True)
class Tick:
    position: float  # x for the time axis, y for the count axis
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # for <polyline points="...">
    max_count: int
    first: date | None
    last: date | None
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    end: tuple[float, float] | None = None  # the last point, labelled with the total
    plot: tuple[int, int, int, int] = (LEFT, TOP, 0, 0)  # left, top, right, bottom


def _nice_top(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above `value` (the count axis's top)."""
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return value


def _time_label(moment: date | datetime, by_hour: bool) -> str:
    if by_hour and isinstance(moment, datetime):
        return moment.strftime("%H:%M")
    return f"{moment.day} {moment:%b}"


def cumulative_chart(
    daily: list[tuple[date, int]], *, width=360, height=210, by_hour=False
) -> Chart:
    """`daily` is [(day or hour, confirmed in it)] in order; the line shows the running total,
    over a count axis (0, half, top) and a time axis (first, middle, last bucket)."""
    if not daily:
        return Chart(width, height, "", 0, None, None)
    totals, running = [], 0
    for _, count in daily:
        running += count
        totals.append(running)
    top = _nice_top(max(totals) or 1)
    steps = max(len(totals) - 1, 1)
    right, bottom = width - RIGHT, height - BOTTOM
    inner_w, inner_h = right - LEFT, bottom - TOP

    def y_of(total: int) -> float:
        return round(bottom - inner_h * total / top, 1)

    points = [(LEFT, bottom)] if len(totals) > 1 else []
    for index, total in enumerate(totals):
        points.append((round(LEFT + inner_w * index / steps, 1), y_of(total)))
    if len(totals) == 1:  # one bucket: a line from zero at the left up to the total
        points = [(LEFT, bottom), (right, points[0][1])]
    middle = len(daily) // 2
    x_indexes = sorted({0, middle, len(daily) - 1}) if len(daily) > 2 else [0, len(daily) - 1]
    x_ticks = [
        Tick(round(LEFT + inner_w * index / steps, 1), _time_label(daily[index][0], by_hour))
        for index in dict.fromkeys(x_indexes)
    ]
    y_ticks = [Tick(y_of(value), f"{value:,}") for value in sorted({0, top // 2, top})]
    return Chart(
        width=width,
        height=height,
        points=" ".join(f"{x},{y}" for x, y in points),
        max_count=totals[-1],
        first=daily[0][0],
        last=daily[-1][0],
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        end=points[-1],
        plot=(LEFT, TOP, right, bottom),
    )
