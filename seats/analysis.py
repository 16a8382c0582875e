"""Who is best placed where: pure functions over plain data (no queries), unit-tested.

Input is one seat's votes by party short name (as in seats/party_codes.py). The key 'Other' is
"all other candidates combined" and is never treated as one candidate. A winner from outside the
party columns (the Speaker 'Spk', an independent 'Ind', ...) is given as `other_winner` with
`other_winner_votes`; the Speaker's seat is excluded from party-vs-party analysis (None).

Ties are broken alphabetically by short name (so results are deterministic) and flagged `tied`.

Target score (a number to rank seats the bloc does not hold; higher = better target):

    target_score = 100 * (bloc_total - winner_votes) / total_votes

i.e. by how many points of the vote the bloc *combined* out-polled (positive) or fell short of
(negative) the winner. It is positive exactly when the best-placed progressive party could win by
moving no more than all of the other bloc parties' votes (transfer_share <= 1), and it is larger
when less of a transfer is needed relative to the size of the electorate that voted. Seats the
bloc already holds, seats with no bloc votes and seats with no votes get None (not targets).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from seats.party_codes import DEFAULT_BLOC, OTHER, SPEAKER

CONSERVATIVE = "Con"


@dataclass(frozen=True)
class SeatVotes:
    votes: Mapping[str, int]
    other_winner: str | None = None
    other_winner_votes: int = 0
    key: str = ""  # caller's identifier for the seat (e.g. the ONS code), passed through


@dataclass(frozen=True)
class SeatAnalysis:
    key: str
    total_votes: int
    winner: str | None
    winner_votes: int
    runner_up: str | None
    runner_up_votes: int
    majority: int
    tied: bool
    bloc: frozenset[str]
    bloc_total: int
    bloc_share: float
    held_by_bloc: bool
    progressive_majority_lost: bool
    best_placed: str | None
    best_placed_votes: int
    votes_needed: int  # votes best_placed must gain to win outright (0 if it already won)
    other_bloc_votes: int  # votes of the bloc parties other than best_placed
    transfer_share: float | None  # votes_needed / other_bloc_votes (None: nothing to move)
    target_score: float | None
    candidates: tuple[tuple[str, int], ...] = field(default=())


def _ranked(candidates: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(candidates.items(), key=lambda item: (-item[1], item[0]))


def seat_analyse(seat: SeatVotes, bloc: Iterable[str] = DEFAULT_BLOC) -> SeatAnalysis | None:
    """Everything the target list needs about one seat; None for the Speaker's seat."""
    if seat.other_winner == SPEAKER:
        return None
    for party, votes in seat.votes.items():
        if votes < 0:
            raise ValueError(f"Negative votes for {party}")
    bloc_set = frozenset(bloc)
    total = sum(seat.votes.values())
    candidates = {p: v for p, v in seat.votes.items() if p != OTHER and v > 0}
    if seat.other_winner and seat.other_winner_votes > 0:
        candidates[seat.other_winner] = max(
            candidates.get(seat.other_winner, 0), seat.other_winner_votes
        )
    ranked = _ranked(candidates)
    winner, winner_votes = ranked[0] if ranked else (None, 0)
    runner_up, runner_up_votes = ranked[1] if len(ranked) > 1 else (None, 0)
    tied = winner is not None and runner_up is not None and winner_votes == runner_up_votes

    bloc_votes = {p: v for p, v in candidates.items() if p in bloc_set}
    bloc_total = sum(seat.votes.get(p, 0) for p in bloc_set if p != OTHER)
    bloc_ranked = _ranked(bloc_votes)
    best_placed, best_votes = bloc_ranked[0] if bloc_ranked else (None, 0)
    held = winner is not None and winner in bloc_set
    other_bloc = bloc_total - best_votes
    if best_placed is None:
        needed = 0
        transfer = None
    elif best_placed == winner:
        needed = 0
        transfer = 0.0
    else:
        needed = winner_votes - best_votes + 1
        transfer = needed / other_bloc if other_bloc > 0 else None
    if held or best_placed is None or total == 0:
        score = None
    else:
        score = round(100 * (bloc_total - winner_votes) / total, 2)
    return SeatAnalysis(
        key=seat.key,
        total_votes=total,
        winner=winner,
        winner_votes=winner_votes,
        runner_up=runner_up,
        runner_up_votes=runner_up_votes,
        majority=winner_votes - runner_up_votes,
        tied=tied,
        bloc=bloc_set,
        bloc_total=bloc_total,
        bloc_share=bloc_total / total if total else 0.0,
        held_by_bloc=held,
        progressive_majority_lost=winner == CONSERVATIVE and bloc_total > winner_votes,
        best_placed=best_placed,
        best_placed_votes=best_votes,
        votes_needed=needed,
        other_bloc_votes=other_bloc,
        transfer_share=transfer,
        target_score=score,
        candidates=tuple(ranked),
    )


def seats_analyse(
    seats: Iterable[SeatVotes], bloc: Iterable[str] = DEFAULT_BLOC
) -> list[SeatAnalysis]:
    """Analyse many seats, leaving out the Speaker's."""
    bloc = tuple(bloc)
    return [a for a in (seat_analyse(s, bloc) for s in seats) if a is not None]


# --- Reciprocity -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    party_a: str
    party_b: str
    a_for_b: int  # seats where a stood aside for b
    b_for_a: int
    lopsided: bool
    a_endorsed_b: int = 0  # seats where a endorsed b's candidate
    b_endorsed_a: int = 0


def reciprocity_ledger(
    stand_asides: Iterable[tuple[str, str]],
    *,
    endorsements: Iterable[tuple[str, str]] = (),
    min_difference: int = 2,
    ratio: float = 2.0,
) -> list[LedgerRow]:
    """From (party that stood aside, party it stood aside for) pairs, one row per pair of parties.
    `endorsements` are (party that endorsed, party it endorsed) pairs, counted beside them.

    A row is lopsided when one side gave at least `min_difference` more seats than it got AND at
    least `ratio` times as many (so 1-0 is not a warning, 3-1 and 2-0 are). Only stand-asides
    count for that: endorsing costs a party no candidate.
    """

    def tally(pairs):
        counts: dict[tuple[str, str], int] = {}
        for giver, receiver in pairs:
            if giver != receiver:
                counts[(giver, receiver)] = counts.get((giver, receiver), 0) + 1
        return counts

    counts, endorsed = tally(stand_asides), tally(endorsements)
    pairs = sorted({tuple(sorted(k)) for k in [*counts, *endorsed]})
    rows = []
    for a, b in pairs:
        a_for_b, b_for_a = counts.get((a, b), 0), counts.get((b, a), 0)
        high, low = max(a_for_b, b_for_a), min(a_for_b, b_for_a)
        rows.append(
            LedgerRow(
                a,
                b,
                a_for_b,
                b_for_a,
                high - low >= min_difference and high >= ratio * low,
                endorsed.get((a, b), 0),
                endorsed.get((b, a), 0),
            )
        )
    return rows


# --- Geography -------------------------------------------------------------------------------


def hex_distance(q1: int, r1: int, q2: int, r2: int) -> int:
    """Steps between two hexes in odd-r offset coordinates (odd rows shifted right)."""

    def to_cube(q: int, r: int) -> tuple[int, int, int]:
        x = q - (r - (r & 1)) // 2
        z = r
        return x, -x - z, z

    a, b = to_cube(q1, r1), to_cube(q2, r2)
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2]))
