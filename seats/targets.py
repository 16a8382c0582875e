"""Loading an election's results for analysis, in a fixed number of queries."""

import time
from dataclasses import dataclass

from django.core.cache import cache

from seats.analysis import SeatAnalysis, SeatVotes, seats_analyse
from seats.models import Constituency, Contest, Election, Result
from seats.party_codes import DEFAULT_BLOC, SPEAKER, canonical_code

CACHE_SECONDS = 60 * 10


@dataclass(frozen=True)
class SeatRow:
    constituency: Constituency
    contest: Contest
    analysis: SeatAnalysis


def election_seat_votes(
    election: Election, contests=None
) -> tuple[dict[int, Contest], list[SeatVotes]]:
    """Contests by constituency id and each seat's votes (2 queries whatever the seat count).

    `contests` narrows the seats (a filtered Contest queryset of this election)."""
    contests = contests if contests is not None else Contest.objects.filter(election=election)
    by_seat = {c.constituency_id: c for c in contests.select_related("constituency")}
    votes: dict[int, dict[str, int]] = {seat_id: {} for seat_id in by_seat}
    for seat_id, short_name, count in Result.objects.filter(
        election=election, constituency_id__in=contests.values("constituency_id")
    ).values_list("constituency_id", "party__short_name", "votes"):
        if seat_id in votes:
            votes[seat_id][short_name] = count
    seats = []
    for seat_id, contest in by_seat.items():
        winner = canonical_code(contest.winner_code)
        other_winner = winner if contest.other_winner_votes or winner == SPEAKER else None
        seats.append(
            SeatVotes(
                votes=votes[seat_id],
                other_winner=other_winner,
                other_winner_votes=contest.other_winner_votes,
                key=str(seat_id),
            )
        )
    return by_seat, seats


def election_seat_rows(election: Election, bloc=DEFAULT_BLOC, contests=None) -> list[SeatRow]:
    """Seats of an election with their analysis under `bloc` (Speaker's seat left out)."""
    by_seat, seats = election_seat_votes(election, contests)
    return [
        SeatRow(by_seat[int(a.key)].constituency, by_seat[int(a.key)], a)
        for a in seats_analyse(seats, bloc)
    ]


def results_changed(election: Election) -> None:
    """Called by the importer: cached counts for this election are stale."""
    cache.set(f"seats:results-version:{election.pk}", time.time_ns(), None)


def results_version(election: Election) -> int:
    """Changes whenever the election's results are (re)imported: part of every cache key."""
    return cache.get(f"seats:results-version:{election.pk}", 0)


def progressive_majority_lost_total(election: Election, bloc=DEFAULT_BLOC) -> int:
    """Seats won by the Conservatives despite more votes for the bloc (cached per election+bloc)."""
    key = f"seats:pml:{election.pk}:{','.join(sorted(bloc))}:{results_version(election)}"
    value = cache.get(key)
    if value is None:
        value = sum(
            1
            for row in election_seat_rows(election, bloc)
            if row.analysis.progressive_majority_lost
        )
        cache.set(key, value, CACHE_SECONDS)
    return value
