"""The week view as a time grid: lanes for overlapping events (pure, events/week_grid.py), the
page's positions as classes only (CSP: no style attributes), a constant query count, and in
Chromium: side by side on a wide screen, a day-by-day list on a phone."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from events import week_grid
from events.services import calendar_changed
from events.week_grid import Lane, lanes_assign
from tests.events.factories import EventFactory
from tests.factories import GroupFactory, PartyBranchFactory, PartyFactory

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2030, 6, 3)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 6, 3 + day, hour, minute, tzinfo=LONDON)


# --- Lanes (pure) ---------------------------------------------------------------------------


def test_events_apart_share_the_first_lane():
    assert lanes_assign([(1, 3), (3, 5), (8, 9)]) == [Lane(0, 1)] * 3


def test_overlapping_events_get_distinct_lanes_and_the_column_count():
    assert lanes_assign([(1, 5), (2, 6), (1, 3)]) == [Lane(1, 3), Lane(2, 3), Lane(0, 3)]


def test_a_chain_of_overlaps_reuses_a_freed_lane():
    # a overlaps b, b overlaps c, a ends before c starts: two lanes for the three.
    assert lanes_assign([(1, 4), (3, 8), (5, 9)]) == [Lane(0, 2), Lane(1, 2), Lane(0, 2)]


def test_no_intervals_no_lanes():
    assert lanes_assign([]) == []


intervals = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 12)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=14,
)


def _clusters(spans):
    """Indices of intervals linked by overlaps, each cluster in one list."""
    found, end = [], None
    for i in sorted(range(len(spans)), key=lambda i: spans[i]):
        start, stop = spans[i]
        if end is None or start >= end:
            found.append([])
            end = stop
        found[-1].append(i)
        end = max(end, stop)
    return found


@given(intervals)
def test_lanes_never_collide_and_a_cluster_uses_exactly_its_deepest_overlap(spans):
    lanes = lanes_assign(spans)
    for i, (a, lane_a) in enumerate(zip(spans, lanes, strict=True)):
        assert 0 <= lane_a.lane < lane_a.lanes
        for b, lane_b in zip(spans[i + 1 :], lanes[i + 1 :], strict=True):
            if a[0] < b[1] and b[0] < a[1]:
                assert lane_a.lane != lane_b.lane
    for cluster in _clusters(spans):
        deepest = max(
            sum(1 for j in cluster if spans[j][0] <= spans[i][0] < spans[j][1]) for i in cluster
        )
        assert {lanes[i].lanes for i in cluster} == {deepest}


# --- Placing a day's events on the grid (pure) ----------------------------------------------


def test_two_overlapping_events_sit_side_by_side_in_halves():
    first = EventFactory.build(starts_at=at(0, 10), ends_at=at(0, 12), all_day=False)
    second = EventFactory.build(starts_at=at(0, 11), ends_at=at(0, 13), all_day=False)
    a, b = week_grid.day_entries([first, second], MONDAY, first_hour=8)
    assert (a.row, a.span, a.column, a.columns) == (9, 8, 1, 30)
    assert (b.row, b.span, b.column, b.columns) == (13, 8, 31, 30)
    assert a.css == "wk-row-9 wk-span-8 wk-col-1 wk-cspan-30"


def test_the_hours_shown_widen_to_early_and_late_events():
    early = EventFactory.build(starts_at=at(0, 6, 30), ends_at=at(0, 7), all_day=False)
    late = EventFactory.build(starts_at=at(0, 21), ends_at=at(0, 22, 10), all_day=False)
    assert week_grid.hours_shown({MONDAY: [early, late]}) == (6, 23)
    overnight = EventFactory.build(starts_at=at(0, 22), ends_at=at(1, 2), all_day=False)
    assert week_grid.hours_shown({MONDAY: [overnight]}) == (8, 24)
    (entry,) = week_grid.day_entries([overnight], MONDAY, first_hour=8)
    assert entry.row + entry.span - 1 == 64  # clipped at midnight: the last of 64 rows


def test_the_grid_css_file_is_in_step_with_the_code():
    path = Path(settings.BASE_DIR) / "static" / "css" / "week-grid.css"
    assert path.read_text() == week_grid.week_grid_css()


# --- The page ---------------------------------------------------------------------------------


@pytest.fixture
def busy_monday(db):
    lib_dems = PartyFactory(name="Liberal Democrats", short_name="LD", colour="#FAA61A")
    branch = PartyBranchFactory(name="Bath Lib Dems", party=lib_dems)
    pro_eu = GroupFactory(name="Bath for Europe")
    return [
        EventFactory(group=branch, title="Canvass", starts_at=at(0, 10), ends_at=at(0, 12)),
        EventFactory(group=pro_eu, title="Rally", starts_at=at(0, 11), ends_at=at(0, 13)),
        EventFactory(group=pro_eu, title="Quiz", starts_at=at(2, 19), ends_at=at(2, 21)),
    ]


def test_the_week_page_places_overlapping_events_side_by_side_with_classes_only(
    client, busy_monday
):
    response = client.get(f"/events/week/?week={MONDAY:%Y-%m-%d}")
    html = response.content.decode()
    assert 'class="wk-entry wk-row-9 wk-span-8 wk-col-1 wk-cspan-30 is-beside"' in html
    assert 'class="wk-entry wk-row-13 wk-span-8 wk-col-31 wk-cspan-30 is-beside"' in html
    assert 'class="wk-entry wk-row-45 wk-span-8 wk-col-1 wk-cspan-60"' in html
    assert "week-grid" in html and "style=" not in html
    # Group and party: the party's colour and its name as text.
    assert '<span class="cal-group">(Bath Lib Dems)</span>' in html
    assert 'fill="#FAA61A"' in html and "</svg>LD</span>" in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_week_grid_runs_a_fixed_number_of_queries(client, busy_monday):
    url = f"/events/week/?week={MONDAY:%Y-%m-%d}"
    few = _queries(client, url)
    group = busy_monday[0].group
    for n in range(60):  # many overlapping events every day of the week
        start = at(n % 7, 8 + n % 10)
        EventFactory(
            group=group, title=f"More {n}", starts_at=start, ends_at=start + timedelta(hours=3)
        )
    calendar_changed()  # written past the services: drop the cached page as they would
    assert _queries(client, url) == few


# --- In Chromium --------------------------------------------------------------------------


@pytest.mark.browser
def test_side_by_side_on_a_wide_screen_and_a_list_on_a_phone(page, transactional_db):
    lib_dems = PartyFactory(name="Liberal Democrats", short_name="LD", colour="#FAA61A")
    branch = PartyBranchFactory(name="Bath Lib Dems", party=lib_dems)
    pro_eu = GroupFactory(name="Bath for Europe")
    EventFactory(group=branch, title="Canvass", starts_at=at(0, 10), ends_at=at(0, 12))
    EventFactory(group=pro_eu, title="Rally", starts_at=at(0, 11), ends_at=at(0, 13))
    EventFactory(group=pro_eu, title="Later talk", starts_at=at(0, 15), ends_at=at(0, 16))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/events/week/?week={MONDAY:%Y-%m-%d}")
    canvass = page.get_by_role("link", name="Canvass").bounding_box()
    rally = page.get_by_role("link", name="Rally").bounding_box()
    talk = page.get_by_role("link", name="Later talk").bounding_box()
    assert canvass["x"] + canvass["width"] <= rally["x"] + 1, "side by side"
    assert rally["y"] > canvass["y"], "the rally starts an hour later, lower down"
    assert abs(rally["height"] - canvass["height"]) < 2, "both two hours tall"
    assert talk["y"] > rally["y"] + rally["height"] - 1, "15:00 below the 11:00-13:00 rally"
    assert talk["width"] > canvass["width"] * 1.5, "alone: the whole day's width"
    assert page.locator(".wk-hour").first.is_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"/events/week/?week={MONDAY:%Y-%m-%d}")
    canvass = page.get_by_role("link", name="Canvass").bounding_box()
    rally = page.get_by_role("link", name="Rally").bounding_box()
    assert rally["y"] >= canvass["y"] + canvass["height"], "one under the other"
    assert abs(rally["x"] - canvass["x"]) < 2 and canvass["width"] > 250
    assert not page.locator(".wk-hour").first.is_visible(), "no hour column on a phone"
    assert page.get_by_role("heading", name="Tuesday 4 Jun").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
