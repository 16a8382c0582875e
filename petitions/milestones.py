"""The goal ladder: 100, 250, 500, 1,000, 2,500, 5,000, 10,000, 25,000, 50,000, 100,000, ..."""

from collections.abc import Iterator

FIRST_GOALS = (100, 250, 500)


def goals() -> Iterator[int]:
    """Every goal in order, without end: 100, 250, 500, then 1, 2.5 and 5 times each power of 10."""
    yield from FIRST_GOALS
    power = 1_000
    while True:
        yield power
        yield power * 5 // 2
        yield power * 5
        power *= 10


def next_goal(count: int) -> int:
    """The first goal above `count` (a petition with exactly 100 aims for 250)."""
    for goal in goals():
        if goal > count:
            return goal
    raise AssertionError("unreachable")


def goals_reached(count: int) -> list[int]:
    reached = []
    for goal in goals():
        if goal > count:
            return reached
        reached.append(goal)
    raise AssertionError("unreachable")


def previous_goal(count: int) -> int:
    reached = goals_reached(count)
    return reached[-1] if reached else 0
