"""The one CSV cell defuser every export uses (alliance.exports.csv_cell)."""

import pytest

from alliance.exports import csv_cell


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_formula_like_text_is_quoted(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"), [(-3, "-3"), ("+1.5", "+1.5"), (None, ""), (0, "0")]
)
def test_numbers_and_empty_cells_are_left_alone(value, expected):
    assert csv_cell(value) == expected
