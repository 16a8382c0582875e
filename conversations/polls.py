"""Polls in a conversation, as pure rules: no queries here, rows in, rows out.

Time polls ("when shall we meet?"): each participant marks every offered time yes, if need be,
or no. The best slot is the one most people can make: the most "yes"; among those, the most
"if need be"; then the fewest "no"; then the earliest.

Ranked-choice polls: each participant ranks the options; the result is an instant run-off,
counted by the one ranked count Alliance has (`primaries.counting.count_grouped`, the same
rules and tie-break as a primary, the options' listed order standing for the ballot order:
among options tied in every round, the one listed last is eliminated). `ranked_result` only
turns that count into what the page shows: every option's first preferences, then each round
with who was eliminated and where their votes went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from conversations.models import Availability
from primaries.counting import INSTANT_RUNOFF, Count, count_grouped


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


@dataclass
class RoundLine:
    label: str
    votes: int
    change: int  # votes gained since the previous round (0 in the first)


@dataclass
class RankedRound:
    number: int
    lines: list[RoundLine]  # the options still in, most votes first
    exhausted: int  # ballots with no option left (never, while every option must be ranked)
    eliminated: str | None  # who leaves after this round (None: the last round)
    tie_broken: bool
    transfers: list[RoundLine]  # where the eliminated option's votes went next round


@dataclass
class RankedResult:
    ballots: int
    first_preferences: list[RoundLine]  # every option, in listed order
    rounds: list[RankedRound]
    winner: str | None
    count: Count


def ranked_result(
    options: list[tuple[int, str]], rankings: list[tuple[list[int], int]]
) -> RankedResult:
    """`options`: (option id, label) in listed order; `rankings`: (option ids best first, how
    many ballots have that ranking). Counts by instant run-off and describes every round."""
    labels = dict(options)
    position = {pk: i for i, (pk, _) in enumerate(options)}
    result = count_grouped([pk for pk, _ in options], rankings, INSTANT_RUNOFF)
    first = result.rounds[0].tallies if result.rounds else {}
    rounds: list[RankedRound] = []
    for number, this in enumerate(result.rounds, start=1):
        before = result.rounds[number - 2].tallies if number > 1 else this.tallies
        after = result.rounds[number].tallies if number < len(result.rounds) else {}
        lines = [
            RoundLine(labels[pk], votes, votes - before[pk])
            for pk, votes in sorted(this.tallies.items(), key=lambda kv: (-kv[1], position[kv[0]]))
        ]
        transfers = []
        if this.eliminated is not None:
            transfers = [
                RoundLine(labels[pk], after[pk], after[pk] - this.tallies[pk])
                for pk in after
                if after[pk] != this.tallies[pk]
            ]
            next_exhausted = result.rounds[number].exhausted - this.exhausted
            if next_exhausted:
                transfers.append(RoundLine("no further choice", next_exhausted, next_exhausted))
        rounds.append(
            RankedRound(
                number=number,
                lines=lines,
                exhausted=this.exhausted,
                eliminated=labels[this.eliminated] if this.eliminated is not None else None,
                tie_broken=this.tie_broken,
                transfers=transfers,
            )
        )
    return RankedResult(
        ballots=result.ballots,
        first_preferences=[RoundLine(label, first.get(pk, 0), 0) for pk, label in options],
        rounds=rounds,
        winner=labels[result.winner] if result.winner is not None else None,
        count=result,
    )
