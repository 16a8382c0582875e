"""seats/analysis.py: hand-computed cases and hypothesis properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seats.analysis import (
    SeatVotes,
    hex_distance,
    reciprocity_ledger,
    seat_analyse,
    seats_analyse,
)

LAB_LD_GREEN = ("Lab", "LD", "Green")


def test_conservative_win_with_progressive_majority():
    # Con 20000, Lab 15000, LD 8000, Green 2000, Other 1000 = 46000
    a = seat_analyse(
        SeatVotes({"Con": 20000, "Lab": 15000, "LD": 8000, "Green": 2000, "Other": 1000})
    )
    assert (a.winner, a.winner_votes, a.runner_up, a.runner_up_votes) == (
        "Con",
        20000,
        "Lab",
        15000,
    )
    assert a.majority == 5000
    assert a.bloc_total == 25000
    assert a.bloc_share == pytest.approx(25000 / 46000)
    assert a.progressive_majority_lost is True
    assert a.best_placed == "Lab"
    assert a.votes_needed == 5001
    assert a.other_bloc_votes == 10000
    assert a.transfer_share == pytest.approx(0.5001)
    assert a.target_score == pytest.approx(round(100 * 5000 / 46000, 2))
    assert a.held_by_bloc is False


def test_conservative_win_without_progressive_majority():
    a = seat_analyse(SeatVotes({"Con": 30000, "Lab": 10000, "LD": 9000, "RUK": 5000}))
    assert a.progressive_majority_lost is False
    assert a.bloc_total == 19000
    assert a.votes_needed == 20001
    assert a.other_bloc_votes == 9000  # LD only
    assert a.transfer_share == pytest.approx(20001 / 9000)  # more than all of them: >1
    assert a.target_score == pytest.approx(round(100 * (19000 - 30000) / 54000, 2))


def test_held_by_the_bloc_is_not_a_target():
    a = seat_analyse(SeatVotes({"Lab": 20000, "Con": 10000, "LD": 5000}))
    assert a.held_by_bloc and a.best_placed == "Lab"
    assert a.votes_needed == 0 and a.transfer_share == 0.0
    assert a.target_score is None
    assert a.progressive_majority_lost is False


def test_bloc_choice_changes_the_answer():
    votes = {"Con": 20000, "Lab": 12000, "SNP": 9000}
    assert seat_analyse(SeatVotes(votes)).progressive_majority_lost is True
    assert seat_analyse(SeatVotes(votes), LAB_LD_GREEN).progressive_majority_lost is False


def test_equal_votes_are_not_a_majority():
    a = seat_analyse(SeatVotes({"Con": 10000, "Lab": 6000, "LD": 4000}))
    assert a.bloc_total == 10000
    assert a.progressive_majority_lost is False
    assert a.transfer_share == pytest.approx(4001 / 4000)
    assert a.target_score == 0.0


def test_tie_is_flagged_and_broken_alphabetically():
    a = seat_analyse(SeatVotes({"Lab": 5000, "Con": 5000}))
    assert a.tied is True
    assert a.winner == "Con" and a.runner_up == "Lab" and a.majority == 0
    b = seat_analyse(SeatVotes({"Lab": 5000, "LD": 5000, "Con": 100}))
    assert b.best_placed == "LD"  # 'LD' < 'Lab' in code-point order
    assert b.held_by_bloc


def test_speakers_seat_is_excluded():
    speaker = SeatVotes(
        {"Green": 3000, "Other": 30000}, other_winner="Spk", other_winner_votes=26000
    )
    assert seat_analyse(speaker) is None
    assert seats_analyse([speaker, SeatVotes({"Con": 1})]) != []
    assert len(seats_analyse([speaker, SeatVotes({"Con": 1})])) == 1


def test_independent_winner_counts_only_their_own_votes():
    # North Down 2017-like: independent beats DUP; the rest of 'Other' is not one candidate.
    a = seat_analyse(
        SeatVotes(
            {"DUP": 15000, "Con": 900, "Green": 1000, "Other": 17000},
            other_winner="Ind",
            other_winner_votes=16000,
        )
    )
    assert a.winner == "Ind" and a.winner_votes == 16000
    assert a.runner_up == "DUP" and a.majority == 1000
    assert a.best_placed == "Green"
    assert a.progressive_majority_lost is False


def test_northern_ireland_seat_without_bloc_parties():
    a = seat_analyse(SeatVotes({"SF": 20000, "DUP": 18000, "SDLP": 5000, "APNI": 4000}))
    assert a.winner == "SF"
    assert a.best_placed is None and a.bloc_total == 0 and a.bloc_share == 0.0
    assert a.transfer_share is None and a.target_score is None
    # With an NI bloc of its own the same function answers.
    ni = seat_analyse(SeatVotes({"DUP": 20000, "SDLP": 9000, "APNI": 12000}), ("SDLP", "APNI"))
    assert ni.best_placed == "APNI" and ni.votes_needed == 8001
    assert ni.transfer_share == pytest.approx(8001 / 9000)


def test_zero_votes():
    a = seat_analyse(SeatVotes({"Con": 0, "Lab": 0}))
    assert a.winner is None and a.runner_up is None and a.total_votes == 0
    assert a.bloc_share == 0.0 and a.target_score is None
    assert a.progressive_majority_lost is False


def test_lone_candidate_and_no_other_bloc_votes():
    a = seat_analyse(SeatVotes({"Con": 30000, "Lab": 2000}))
    assert a.other_bloc_votes == 0 and a.transfer_share is None
    b = seat_analyse(SeatVotes({"Con": 30000}))
    assert b.runner_up is None and b.majority == 30000


def test_negative_votes_are_refused():
    with pytest.raises(ValueError):
        seat_analyse(SeatVotes({"Con": -1}))


def test_reciprocity_ledger():
    rows = reciprocity_ledger(
        [("LD", "Lab"), ("LD", "Lab"), ("LD", "Lab"), ("Lab", "LD"), ("Green", "LD"), ("PC", "PC")]
    )
    assert [(r.party_a, r.party_b, r.a_for_b, r.b_for_a, r.lopsided) for r in rows] == [
        ("Green", "LD", 1, 0, False),
        ("LD", "Lab", 3, 1, True),
    ]
    assert reciprocity_ledger([("A", "B"), ("A", "B")])[0].lopsided is True
    assert reciprocity_ledger([("A", "B"), ("B", "A")])[0].lopsided is False


def test_hex_distance_in_odd_r():
    assert hex_distance(0, 0, 0, 0) == 0
    assert hex_distance(0, 0, 1, 0) == 1
    assert hex_distance(0, 0, 0, 1) == 1  # odd row shifted right: (0,1) touches (0,0)
    assert hex_distance(0, 0, -1, 1) == 1  # row 1 hexes sit at x = q + 0.5
    assert hex_distance(0, 0, 1, 1) == 2
    assert hex_distance(0, 1, 1, 0) == 1
    assert hex_distance(0, -1, 0, 1) == 2
    assert hex_distance(3, 5, 3, 5) == 0


PARTIES = ["Con", "Lab", "LD", "Green", "SNP", "PC", "RUK", "DUP", "Other"]
votes_strategy = st.dictionaries(st.sampled_from(PARTIES), st.integers(0, 80_000), min_size=1)
bloc_strategy = st.sets(st.sampled_from(["Lab", "LD", "Green", "SNP", "PC"]), min_size=1)


@given(votes_strategy, bloc_strategy)
def test_properties(votes, bloc):
    a = seat_analyse(SeatVotes(votes), bloc)
    assert a.total_votes == sum(votes.values())
    assert 0.0 <= a.bloc_share <= 1.0
    assert a.bloc_total == sum(v for p, v in votes.items() if p in bloc)
    assert a.majority >= 0
    if a.winner is not None:
        assert a.winner_votes == max(v for p, v in votes.items() if p != "Other")
    if a.progressive_majority_lost:
        assert a.winner == "Con" and a.bloc_total > votes["Con"]
    if a.best_placed is not None:
        assert a.best_placed in bloc
        assert a.best_placed_votes == max(votes.get(p, 0) for p in bloc)
    # The score is positive exactly when moving the other bloc votes would be enough.
    if a.target_score is not None and a.transfer_share is not None and a.total_votes:
        assert (a.bloc_total > a.winner_votes) == (a.transfer_share <= 1)
        assert (a.target_score > 0) == (a.bloc_total > a.winner_votes)


@given(votes_strategy, bloc_strategy)
def test_adding_votes_to_the_winner_never_creates_a_target(votes, bloc):
    a = seat_analyse(SeatVotes(votes), bloc)
    if a.winner is None or a.winner == "Other":
        return
    boosted = dict(votes, **{a.winner: votes[a.winner] + 1000})
    b = seat_analyse(SeatVotes(boosted), bloc)
    assert b.winner == a.winner
    if a.target_score is not None and b.target_score is not None:
        assert b.target_score <= a.target_score + 1e-9
