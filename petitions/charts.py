"""A small server-rendered SVG line chart: plain data in, points out, no queries."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # for <polyline points="...">
    max_count: int
    first: date | None
    last: date | None


def cumulative_chart(daily: list[tuple[date, int]], *, width=600, height=160, pad=8) -> Chart:
    """`daily` is [(day or hour, confirmed in it)] in order; the line shows the running total."""
    if not daily:
        return Chart(width, height, "", 0, None, None)
    totals, running = [], 0
    for _, count in daily:
        running += count
        totals.append(running)
    top = max(totals) or 1
    steps = max(len(totals) - 1, 1)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    points = [(pad, height - pad)] if len(totals) > 1 else []
    for index, total in enumerate(totals):
        x = pad + inner_w * index / steps
        y = height - pad - inner_h * total / top
        points.append((round(x, 1), round(y, 1)))
    if len(totals) == 1:  # one bucket: a line from zero at the left up to the total
        points = [(pad, height - pad), (width - pad, points[0][1])]
    return Chart(
        width=width,
        height=height,
        points=" ".join(f"{x},{y}" for x, y in points),
        max_count=totals[-1],
        first=daily[0][0],
        last=daily[-1][0],
    )
