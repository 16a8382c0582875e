"""The count as a pure function: worked examples, the tie-break, and properties (hypothesis),
including agreement with an independent library (pyrankvote) on 1,000 random elections."""

import random

import pyrankvote
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from primaries.counting import INSTANT_RUNOFF, PLURALITY, count

A, B, C, D = "A", "B", "C", "D"


def test_majority_of_first_preferences_wins_in_round_one():
    result = count([A, B, C], [[A], [A, B], [A, C], [B], [C, B]])
    assert result.winner == A
    assert len(result.rounds) == 1
    assert result.rounds[0].tallies == {A: 3, B: 1, C: 1}


def test_transfers_decide_and_exhausted_ballots_are_counted():
    ballots = [[A]] * 4 + [[B, C]] * 3 + [[C, B]] * 2 + [[C]] * 1
    result = count([A, B, C], ballots)
    # Round 1: A 4, B 3, C 3 -> C and B tie on 3; earlier rounds: none, so ballot order:
    # C comes later in [A, B, C] and is eliminated.
    first = result.rounds[0]
    assert first.tallies == {A: 4, B: 3, C: 3}
    assert first.eliminated == C and first.tie_broken
    second = result.rounds[1]
    assert second.tallies == {A: 4, B: 5}
    assert second.exhausted == 1  # the [C] ballot had nowhere to go
    assert result.winner == B


def test_tie_break_looks_back_to_the_latest_round_where_they_differed():
    # Round 1: A 5, B 4, C 3, D 2: D out, D's ballots go 1 to B and 1 to C -> A 5, B 5, C 4?
    ballots = [[A]] * 5 + [[B]] * 4 + [[C]] * 3 + [[D, C]] * 2
    result = count([A, B, C, D], ballots)
    assert result.rounds[0].eliminated == D and not result.rounds[0].tie_broken
    assert result.rounds[1].tallies == {A: 5, B: 4, C: 5}
    assert result.rounds[1].eliminated == B
    # Now make B and C tie in round 2 with B ahead in round 1: C goes.
    ballots = [[A]] * 6 + [[B]] * 4 + [[C]] * 3 + [[D, C]] * 1 + [[D]] * 1
    result = count([A, B, C, D], ballots)
    assert result.rounds[1].tallies == {A: 6, B: 4, C: 4}
    assert result.rounds[1].eliminated == C and result.rounds[1].tie_broken


def test_no_ballots_no_winner():
    result = count([A, B], [])
    assert result.winner is None and result.ballots == 0


def test_unknown_candidates_and_repeats_are_ignored():
    result = count([A, B], [[A, A, B], ["Z", B], [B, "Z", A]])
    assert result.rounds[0].tallies == {A: 1, B: 2}
    assert result.winner == B


def test_plurality_counts_first_preferences_once():
    result = count([A, B, C], [[A, B], [B, A], [B], [C, A]], method=PLURALITY)
    assert result.winner == B and len(result.rounds) == 1
    tie = count([A, B], [[B], [A]], method=PLURALITY)
    assert tie.winner == A  # ballot order: the earlier wins a tie


# --- Properties -------------------------------------------------------------------------------

CANDIDATES = ["A", "B", "C", "D", "E"]
rankings = st.permutations(CANDIDATES).flatmap(
    lambda order: st.integers(min_value=0, max_value=len(order)).map(lambda n: list(order[:n]))
)
elections = st.tuples(
    st.integers(min_value=2, max_value=5), st.lists(rankings, min_size=0, max_size=60)
)


def _restricted(n, ballots):
    standing = CANDIDATES[:n]
    return standing, [[c for c in b if c in standing] for b in ballots]


@given(elections, st.randoms(use_true_random=False))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_the_count_does_not_depend_on_ballot_order(election, rnd):
    standing, ballots = _restricted(*election)
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert count(standing, ballots) == count(standing, shuffled)


@given(elections, st.sampled_from(CANDIDATES))
@settings(max_examples=300)
def test_a_majority_of_first_preferences_wins_in_round_one(election, favourite):
    standing, ballots = _restricted(*election)
    if favourite not in standing:
        favourite = standing[0]
    # Add enough ballots ranking `favourite` first to give them a majority of all ballots.
    ballots = ballots + [[favourite]] * (len(ballots) + 1)
    result = count(standing, ballots)
    assert result.winner == favourite
    assert len(result.rounds) == 1


@given(elections)
@settings(max_examples=300)
def test_every_ballot_is_accounted_for_in_every_round(election):
    standing, ballots = _restricted(*election)
    result = count(standing, ballots)
    for r in result.rounds:
        assert r.continuing_votes + r.exhausted == len(ballots)
    if ballots:
        assert result.winner in standing


def _pyrankvote_winner(standing, ballots):
    people = {c: pyrankvote.Candidate(c) for c in standing}
    papers = [pyrankvote.Ballot(ranked_candidates=[people[c] for c in b]) for b in ballots]
    winners = pyrankvote.instant_runoff_voting(list(people.values()), papers).get_winners()
    return winners[0].name


def _decisive_ties(result) -> int:
    """Ties broken between candidates who had votes (a tie at zero cannot change the winner:
    eliminating a candidate with no votes moves no ballots)."""
    return sum(1 for r in result.rounds if r.tie_broken and r.tallies[r.eliminated] > 0)


@given(st.randoms(use_true_random=False))
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_agrees_with_pyrankvote_on_1000_random_elections(rnd):
    """1,000 elections of 3 to 6 candidates and 30 to 200 ballots, voters ranking some or all
    candidates around a random popularity. Where our count had to break a real tie the two
    may differ by design (pyrankvote has its own rule, documented in ours), so those few are
    set aside (`assume`): hypothesis fails the test if that happens often."""
    standing = [f"C{i}" for i in range(rnd.randint(3, 6))]
    weights = {c: rnd.random() + 0.05 for c in standing}
    ballots = []
    for _ in range(rnd.randint(30, 200)):
        order = sorted(standing, key=lambda c: -rnd.random() * weights[c])
        ballots.append(order[: rnd.randint(1, len(order))])
    ours = count(standing, ballots, INSTANT_RUNOFF)
    assume(_decisive_ties(ours) == 0)
    assert ours.winner == _pyrankvote_winner(standing, ballots)


@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_pyrankvote_on_contested_three_way_races(seed):
    """Close races, where transfers decide: the first-round leader often loses."""
    rnd = random.Random(seed)
    upsets = 0
    for _ in range(200):
        ballots = (
            [["L"]] * rnd.randint(30, 40)
            + [["M", "R"]] * rnd.randint(20, 35)
            + [["R", "M"]] * rnd.randint(20, 35)
        )
        rnd.shuffle(ballots)
        ours = count(["L", "M", "R"], ballots)
        if _decisive_ties(ours):
            continue
        assert ours.winner == _pyrankvote_winner(["L", "M", "R"], ballots)
        upsets += ours.winner != "L"
    assert upsets > 0
