"""The result page's charts for a known count: the SVG carries every label and value."""

import pytest
from django.template.loader import render_to_string

from primaries.charts import round_charts, turnout_chart

ROUNDS = [
    {
        "tallies": [
            {"candidate": 1, "name": "Ada Green", "votes": 40},
            {"candidate": 2, "name": "Ben Red", "votes": 35},
            {"candidate": 3, "name": "Cy Gold", "votes": 25},
        ],
        "exhausted": 0,
        "eliminated_name": "Cy Gold",
    },
    {
        "tallies": [
            {"candidate": 2, "name": "Ben Red", "votes": 52},
            {"candidate": 1, "name": "Ada Green", "votes": 45},
        ],
        "exhausted": 3,
        "eliminated_name": "",
    },
]


def _svg(chart, chart_id="c") -> str:
    return render_to_string("_partials/bar_chart.html", {"chart": chart, "chart_id": chart_id})


def test_turnout_against_the_roll():
    html = _svg(turnout_chart(ballots=412, registered=1000), "turnout")
    assert "Turnout: 412 ballots cast from a roll of 1,000 voters" in html
    assert "Ballots cast" in html and "412 of 1,000 (41%)" in html
    assert 'class="bar-track"' in html  # the roll, behind the bar
    assert html.count("<tr>") == 1  # the text equivalent
    assert 'aria-labelledby="turnout-title"' in html and "style=" not in html


def test_rounds_share_one_scale_and_say_who_went_out_and_who_won():
    first, second = round_charts(ROUNDS)
    first_html, second_html = _svg(first, "r1"), _svg(second, "r2")
    assert "Round 1: votes by candidate" in first_html
    for text in ("Ada Green", "40", "Ben Red", "35", "Cy Gold (eliminated)", "25"):
        assert text in first_html
    assert "Ben Red (elected)" in second_html and "52" in second_html
    assert "Exhausted (no preference left)" in second_html and ">3<" in second_html
    # One scale (the 100 first-round ballots): 40 votes in round 1 and 45 in round 2 are
    # bars of proportional length, and both axes end at 100.
    assert first.axis_end == second.axis_end and first.ticks[-1].label == "100"
    ada_first = next(b for b in first.bars if b.label == "Ada Green")
    ada_second = next(b for b in second.bars if b.label == "Ada Green")
    assert ada_second.width / ada_first.width == pytest.approx(45 / 40, rel=0.01)
    assert [b.marked for b in first.bars] == [False, False, True, False]
    assert [b.marked for b in second.bars] == [True, False, False]


def test_no_rounds_no_charts():
    assert round_charts([]) == []
