"""The pure rules: party breakdown, the across-parties score, suggestions, the chart."""

import math

from priorities import charts, results, similarity
from priorities.codes import ALPHABET, code_clean, code_display, code_generate


def test_breakdown_biggest_first_unstated_last():
    parties = ["LD", None, "Lab", "Lab", "Green", "LD", "Lab", None]
    assert results.party_breakdown(parties) == [
        ("Lab", 3),
        ("LD", 2),
        ("Green", 1),
        (results.NO_PARTY, 2),
    ]


def test_effective_parties_is_exp_shannon():
    assert results.effective_parties(["Lab"] * 9) == 1.0
    assert math.isclose(results.effective_parties(["Lab", "LD", "Green"] * 2), 3.0)
    assert results.effective_parties([None, None]) == 1.0
    # Unstated parties do not add diversity.
    assert math.isclose(results.effective_parties(["Lab", "LD", None]), 2.0)


def test_across_parties_favours_shared_concerns_over_one_partys_many_notes():
    one_party = results.ClusterInput(1, "Potholes", ["Lab"] * 9, dots=0)
    shared = results.ClusterInput(2, "NHS", ["Lab", "LD", "Green"] * 2, dots=0)
    ranked = results.rank([one_party, shared], order="across")
    assert [r.name for r in ranked] == ["NHS", "Potholes"]
    assert ranked[0].across_parties == 18.0
    assert ranked[1].across_parties == 9.0
    # By notes, the one-party cluster is first.
    assert results.rank([one_party, shared], order="notes")[0].name == "Potholes"


def test_breakdown_text_reads_like_the_brief():
    row = results.rank(
        [results.ClusterInput(1, "NHS", ["Lab"] * 4 + ["LD"] * 3 + ["Green"] * 2, 5)]
    )[0]
    assert row.breakdown_text == "NHS: 9 notes - Lab 4, LD 3, Green 2"


def test_rank_by_dots_then_notes():
    a = results.ClusterInput(1, "A", ["Lab"], dots=4)
    b = results.ClusterInput(2, "B", ["Lab", "LD"], dots=4)
    c = results.ClusterInput(3, "C", ["Lab"] * 5, dots=1)
    assert [r.name for r in results.rank([a, b, c])] == ["B", "A", "C"]


def test_suggestions_match_notes_to_similar_clusters_and_pile_up_the_rest():
    suggestions = similarity.suggest(
        [
            (1, "NHS waiting lists are far too long"),
            (2, "Cheaper buses in the villages"),
            (3, "More buses for villages"),
            (4, "zebra"),
        ],
        [(10, "NHS", ["GP appointments"]), (11, "Climate", ["Insulate homes"])],
    )
    by_note = {s.note_id: s for s in suggestions}
    assert by_note[1].cluster_id == 10
    assert by_note[2].cluster_id is None and by_note[3].cluster_id is None
    assert by_note[2].cluster_name == by_note[3].cluster_name
    assert 4 not in by_note


def test_stop_words_alone_do_not_make_a_match():
    assert similarity.suggest([(1, "the buses")], [(5, "the NHS", [])]) == []


def test_group_names_for_the_region():
    groups = similarity.group_names(["NHS", "The NHS", "Housing", "housing crisis", "Buses"])
    assert groups == [[0, 1], [2, 3], [4]]


def test_chart_segments_add_up_to_the_notes_bar():
    rows = results.rank([results.ClusterInput(1, "NHS", ["Lab", "Lab", "LD", None], dots=2)])
    chart = charts.bar_chart(rows, {"Lab": "#E4003B", "LD": "#FAA61A"})
    bar = chart.bars[0]
    assert [s.colour for s in bar.segments] == ["#E4003B", "#FAA61A", charts.NO_PARTY_COLOUR]
    unit = bar.segments[0].width / 2
    assert math.isclose(sum(s.width for s in bar.segments), 4 * unit, rel_tol=1e-3)
    assert math.isclose(bar.dots_width, 2 * unit, rel_tol=1e-3)


def test_codes_are_long_unambiguous_and_forgiving_to_type():
    codes = {code_generate() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("IL0O1") & set(ALPHABET)
    assert code_clean(" abcd-efgh ") == "ABCDEFGH"
    assert code_display("ABCDEFGH") == "ABCD-EFGH"
