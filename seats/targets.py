"""Loading an election's results for analysis, in a fixed number of queries."""

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


def election_seat_votes(election: Election) -> tuple[dict[int, Contest], list[SeatVotes]]:
    """Contests by constituency id and each seat's votes (2 queries whatever the seat count)."""
    contests = {
        c.constituency_id: c
        for c in Contest.objects.filter(election=election).select_related("constituency")
    }
    votes: dict[int, dict[str, int]] = {seat_id: {} for seat_id in contests}
    for seat_id, short_name, count in Result.objects.filter(election=election).values_list(
        "constituency_id", "party__short_name", "votes"
    ):
        if seat_id in votes:
            votes[seat_id][short_name] = count
    seats = []
    for seat_id, contest in contests.items():
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
    return contests, seats


def election_seat_rows(election: Election, bloc=DEFAULT_BLOC) -> list[SeatRow]:
    """Every seat of an election with its analysis under `bloc` (Speaker's seat left out)."""
    contests, seats = election_seat_votes(election)
    return [
        SeatRow(contests[int(a.key)].constituency, contests[int(a.key)], a)
        for a in seats_analyse(seats, bloc)
    ]


def progressive_majority_lost_total(election: Election, bloc=DEFAULT_BLOC) -> int:
    """Seats won by the Conservatives despite more votes for the bloc (cached per election+bloc)."""
    key = f"seats:pml:{election.pk}:{','.join(sorted(bloc))}:{_results_version(election)}"
    value = cache.get(key)
    if value is None:
        value = sum(
            1
            for row in election_seat_rows(election, bloc)
            if row.analysis.progressive_majority_lost
        )
        cache.set(key, value, CACHE_SECONDS)
    return value


def _results_version(election: Election) -> int:
    return Result.objects.filter(election=election).count()
