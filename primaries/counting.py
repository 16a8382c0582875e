"""Counting a primary: plain data in, every round out. No queries, no randomness.

Instant runoff (the default). Each round, every ballot counts for its highest-ranked candidate
still in the race; a ballot with no such candidate is *exhausted*. A candidate with more than
half of the ballots still counting (exhausted ones excluded) wins. Otherwise the candidate with
the fewest votes is eliminated and the next round begins. When only one candidate is left, they
win. With no ballots at all there is no winner.

Tie-break (deterministic, published with the rules): when several candidates share the fewest
votes, the one eliminated is
  1. the one with fewer votes in the most recent earlier round in which the tied candidates'
     votes differed (repeated while some of them are still tied), then
  2. among those still tied (equal in every round), the one that comes *last* in
     `candidates`: the ballot order, drawn by lot when the candidates were nominated.

Most first preferences ("plurality"): one round of first preferences; the most votes wins, a tie
going to the candidate that comes *first* in `candidates` (the mirror of rule 2).

Ballots are normalised before counting: candidates not standing and repeats of a candidate
already ranked are ignored (the ballot page never produces either; a recount of a published
file should not crash on a hand-edited row).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

INSTANT_RUNOFF = "irv"
PLURALITY = "plurality"


@dataclass(frozen=True)
class Round:
    tallies: dict  # continuing candidate -> votes this round (every continuing one, even on 0)
    exhausted: int  # ballots with no continuing candidate left
    eliminated: Hashable | None = None  # who leaves after this round (None: the last round)
    tie_broken: bool = False  # the elimination needed the tie-break

    @property
    def continuing_votes(self) -> int:
        return sum(self.tallies.values())


@dataclass(frozen=True)
class Count:
    method: str
    candidates: tuple
    ballots: int
    rounds: list[Round] = field(default_factory=list)
    winner: Hashable | None = None

    @property
    def ties_broken(self) -> int:
        return sum(1 for r in self.rounds if r.tie_broken)


def _normalised(ballot: Iterable, standing: set) -> tuple:
    seen: list = []
    for choice in ballot:
        if choice in standing and choice not in seen:
            seen.append(choice)
    return tuple(seen)


def _loser(tied: list, rounds: list[Round], position: dict) -> tuple[Hashable, bool]:
    """(who is eliminated among `tied`, whether the tie-break was needed)."""
    if len(tied) == 1:
        return tied[0], False
    remaining = list(tied)
    for earlier in reversed(rounds):
        votes = {c: earlier.tallies.get(c, 0) for c in remaining}
        fewest = min(votes.values())
        remaining = [c for c in remaining if votes[c] == fewest]
        if len(remaining) == 1:
            return remaining[0], True
    return max(remaining, key=lambda c: position[c]), True


def count(candidates: Sequence, ballots: Iterable[Sequence], method: str = INSTANT_RUNOFF) -> Count:
    """Count `ballots` (each a ranking, best first) between `candidates` (in ballot order)."""
    return count_grouped(candidates, ((ballot, 1) for ballot in ballots), method)


def count_grouped(
    candidates: Sequence, rankings: Iterable[tuple[Sequence, int]], method: str = INSTANT_RUNOFF
) -> Count:
    """The same count from (ranking, how many ballots have it) pairs, as `GROUP BY ranking`
    gives them: 100,000 ballots between a handful of candidates are a few hundred distinct
    rankings, so the box never has to come into Python one ballot at a time."""
    if len(set(candidates)) != len(candidates):
        raise ValueError("Each candidate must appear once.")
    if method not in (INSTANT_RUNOFF, PLURALITY):
        raise ValueError(f"Unknown counting method: {method}")
    standing = set(candidates)
    position = {c: i for i, c in enumerate(candidates)}
    groups: Counter = Counter()
    for ranking, weight in rankings:
        groups[_normalised(ranking, standing)] += weight
    total = sum(groups.values())
    result = Count(method=method, candidates=tuple(candidates), ballots=total)
    if not candidates:
        return result
    continuing = list(candidates)
    while True:
        tallies = dict.fromkeys(continuing, 0)
        exhausted = 0
        still = set(continuing)
        for ranking, weight in groups.items():
            for choice in ranking:
                if choice in still:
                    tallies[choice] += weight
                    break
            else:
                exhausted += weight
        counting = total - exhausted
        if method == PLURALITY:
            top = max(tallies.values())
            winner = min((c for c in continuing if tallies[c] == top), key=position.get)
            result.rounds.append(Round(tallies=tallies, exhausted=exhausted))
            return _with_winner(result, winner if total else None)
        leader = max(continuing, key=lambda c: (tallies[c], -position[c]))
        if total == 0:
            result.rounds.append(Round(tallies=tallies, exhausted=exhausted))
            return result
        if tallies[leader] * 2 > counting or len(continuing) == 1:
            result.rounds.append(Round(tallies=tallies, exhausted=exhausted))
            return _with_winner(result, leader)
        fewest = min(tallies.values())
        loser, tie_broken = _loser(
            [c for c in continuing if tallies[c] == fewest], result.rounds, position
        )
        result.rounds.append(
            Round(tallies=tallies, exhausted=exhausted, eliminated=loser, tie_broken=tie_broken)
        )
        continuing.remove(loser)


def _with_winner(result: Count, winner) -> Count:
    return Count(
        method=result.method,
        candidates=result.candidates,
        ballots=result.ballots,
        rounds=result.rounds,
        winner=winner,
    )
