"""Time polls ("when shall we meet?"): the pure rule that picks the best slot.

Each participant marks every offered time yes, if need be, or no. The best slot is the one
most people can make: the most "yes"; among those, the most "if need be"; then the fewest "no";
then the earliest. No queries here: rows in, rows out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from conversations.models import Availability


@dataclass
class SlotTally:
    option_id: int
    starts_at: datetime
    yes: list[str] = field(default_factory=list)
    if_need_be: list[str] = field(default_factory=list)
    no: list[str] = field(default_factory=list)
    best: bool = False

    @property
    def rank_key(self) -> tuple:
        return (-len(self.yes), -len(self.if_need_be), len(self.no), self.starts_at)


def slots_tally(
    options: list[tuple[int, datetime]], votes: list[tuple[int, str, str]]
) -> list[SlotTally]:
    """`options`: (option id, starts at); `votes`: (option id, availability, who). Returns one
    row per option in time order with the names under each answer, the best slot(s) marked:
    none while nobody has said yes or if need be to anything."""
    rows = {option_id: SlotTally(option_id, starts_at) for option_id, starts_at in options}
    for option_id, availability, who in votes:
        row = rows.get(option_id)
        if row is None:
            continue
        if availability == Availability.YES:
            row.yes.append(who)
        elif availability == Availability.IF_NEED_BE:
            row.if_need_be.append(who)
        else:
            row.no.append(who)
    ordered = sorted(rows.values(), key=lambda row: (row.starts_at, row.option_id))
    if ordered:
        top = min(ordered, key=lambda row: row.rank_key)
        if top.yes or top.if_need_be:
            for row in ordered:
                row.best = row.rank_key[:3] == top.rank_key[:3]
    return ordered
