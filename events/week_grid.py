"""The week view's time grid, as pure functions: no queries, no templates.

The grid has the days as columns and the hours as rows, a row per quarter hour. Nothing is
positioned with a style attribute (the CSP allows none): an entry carries classes from a fixed
set (`wk-row-N`, `wk-span-N`, `wk-col-N`, `wk-cspan-N`) defined once in
static/css/week-grid.css, which `week_grid_css()` writes (a test keeps the file in step).

Side by side: events of one day that overlap are put in lanes (`lanes_assign`), and each lane
gets an equal share of the day's `LANE_COLUMNS` grid columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES  # 96 rows at most
LANE_COLUMNS = 60  # a day's columns: 1 to 6 lanes share them exactly, more nearly evenly
DEFAULT_HOURS = (8, 20)  # shown even when the week has no earlier or later events


@dataclass(frozen=True)
class Lane:
    lane: int  # 0-based lane of this interval
    lanes: int  # lanes in its cluster of overlapping intervals (the columns it shares)


def lanes_assign(intervals: Sequence[tuple[int, int]]) -> list[Lane]:
    """For half-open intervals [start, end), a lane each, in input order: intervals that
    overlap get distinct lanes; each learns how many lanes its cluster (the intervals linked
    to it by overlaps) uses. Greedy by start time, the lowest free lane first, so a cluster of
    intervals at most k of which overlap at any moment uses exactly k lanes."""
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i][0], intervals[i][1], i))
    lane_of: dict[int, int] = {}
    result: list[Lane | None] = [None] * len(intervals)
    cluster: list[int] = []
    lane_ends: list[int] = []  # per lane, when its last interval ends
    cluster_end = None

    def close() -> None:
        for i in cluster:
            result[i] = Lane(lane_of[i], len(lane_ends))

    for i in order:
        start, end = intervals[i]
        if cluster_end is not None and start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        free = next((n for n, ends in enumerate(lane_ends) if ends <= start), None)
        if free is None:
            free = len(lane_ends)
            lane_ends.append(end)
        else:
            lane_ends[free] = end
        lane_of[i] = free
        cluster.append(i)
        cluster_end = end if cluster_end is None else max(cluster_end, end)
    close()
    return result  # type: ignore[return-value]


@dataclass(frozen=True)
class Entry:
    """One event placed in a day's grid (grid lines are 1-based, as in CSS)."""

    event: object
    row: int
    span: int
    column: int
    columns: int
    lane: int
    lanes: int

    @property
    def css(self) -> str:
        return f"wk-row-{self.row} wk-span-{self.span} wk-col-{self.column} wk-cspan-{self.columns}"


def _minutes(moment: datetime, day: date) -> int:
    """Minutes from the day's local midnight, clipped to the day."""
    local = moment.astimezone(LONDON)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def hours_shown(days: dict[date, list], *, default: tuple[int, int] = DEFAULT_HOURS):
    """(first hour, last hour) of the grid: the default, widened to every timed event."""
    first, last = default
    for day, events in days.items():
        for event in events:
            if event.all_day:
                continue
            first = min(first, _minutes(event.starts_at, day) // 60)
            end = _minutes(event.ends_at, day)
            last = max(last, min(24, -(-end // 60)))
    return first, last


def day_entries(events: Sequence, day: date, first_hour: int) -> list[Entry]:
    """The timed events of `day` (all-day ones are left to the caller) placed on the grid
    that starts at `first_hour`. An event is at least one slot tall; lanes are assigned on
    the slots it covers, so entries that look as if they overlap never share a lane."""
    origin = first_hour * 60
    slots = []
    for event in events:
        start = _minutes(event.starts_at, day)
        end = max(_minutes(event.ends_at, day), start + SLOT_MINUTES)
        row = (start - origin) // SLOT_MINUTES + 1
        last_row = -(-(end - origin) // SLOT_MINUTES) + 1
        slots.append((row, max(last_row, row + 1)))
    entries = []
    for event, (row, row_end), lane in zip(events, slots, lanes_assign(slots), strict=True):
        left = round(lane.lane * LANE_COLUMNS / lane.lanes)
        right = round((lane.lane + 1) * LANE_COLUMNS / lane.lanes)
        entries.append(
            Entry(event, row, row_end - row, left + 1, right - left, lane.lane, lane.lanes)
        )
    return entries


def hour_labels(first_hour: int, last_hour: int) -> list[dict]:
    return [
        {"label": time(hour).strftime("%H:%M"), "css": f"wk-row-{(hour - first_hour) * 4 + 1}"}
        for hour in range(first_hour, last_hour)
    ]


def rows_class(first_hour: int, last_hour: int) -> str:
    return f"wk-rows-{(last_hour - first_hour) * 60 // SLOT_MINUTES}"


def week_grid_css() -> str:
    """The contents of static/css/week-grid.css: every position class the grid may use."""
    lines = []
    for n in range(1, SLOTS_PER_DAY + 1):
        lines.append(f".wk-rows-{n} {{ grid-template-rows: repeat({n}, var(--wk-slot)); }}")
    for n in range(1, SLOTS_PER_DAY + 1):
        lines.append(f".wk-row-{n} {{ grid-row-start: {n}; }}")
    for n in range(1, SLOTS_PER_DAY + 1):
        lines.append(f".wk-span-{n} {{ grid-row-end: span {n}; }}")
    for n in range(1, LANE_COLUMNS + 1):
        lines.append(f".wk-col-{n} {{ grid-column-start: {n}; }}")
    for n in range(1, LANE_COLUMNS + 1):
        lines.append(f".wk-cspan-{n} {{ grid-column-end: span {n}; }}")
    header = (
        "/* Generated by events/week_grid.py: week_grid_css(). Do not edit by hand:\n"
        "   tests/events/test_week_grid.py checks this file is in step. On a phone (below\n"
        "   600px) the grid is a day-by-day list: these classes place nothing there. */\n"
    )
    return header + "@media (min-width: 600px) {\n" + "\n".join(lines) + "\n}\n"
