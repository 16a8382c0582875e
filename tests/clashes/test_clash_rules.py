"""The pure clash rule (clashes/rules.py): exhaustive cases and properties. No database."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clashes.rules import (
    DEFAULT_RULE,
    ClashSettings,
    EventInfo,
    RuleInfo,
    candidate_slots,
    clash_pairs_bruteforce,
    events_clash,
    haversine_km,
    overlap_minutes,
    pair_key,
    times_overlap,
)
from tests.clashes.clash_support import BATH, BRISTOL, BRISTOL_EAST, at

SETTINGS = ClashSettings(margin=timedelta(minutes=30), radius_km=5.0)
BRANCHES = RuleInfo(frozenset({"party_branch"}), frozenset({"party_branch"}))


def ev(
    id,
    kind="party_branch",
    *,
    group=None,
    party=1,
    start=None,
    hours=2,
    seat=7,
    point=None,
    status="scheduled",
    area=(),
):
    start = start or at(0)
    lat, lon = point if point else (None, None)
    return EventInfo(
        id=id,
        group_id=group if group is not None else id * 10,
        group_kind=kind,
        party_id=party if kind == "party_branch" else None,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        constituency_id=seat,
        latitude=lat,
        longitude=lon,
        status=status,
        area_ids=frozenset(area),
    )


def test_branch_and_pro_eu_at_same_time_and_seat_clash():
    assert events_clash(ev(1), ev(2, "pro_eu"), SETTINGS)


def test_branch_and_progressive_alliance_clash():
    assert events_clash(ev(1), ev(2, "progressive_alliance"), SETTINGS)


@pytest.mark.parametrize(
    ("kind_a", "kind_b"),
    [
        ("party_branch", "party_branch"),
        ("pro_eu", "pro_eu"),
        ("pro_eu", "progressive_alliance"),
        ("party_branch", "other"),
        ("other", "pro_eu"),
    ],
)
def test_default_rule_does_not_compare_other_sides(kind_a, kind_b):
    assert not events_clash(ev(1, kind_a), ev(2, kind_b), SETTINGS)


def test_same_group_never_clashes():
    assert not events_clash(ev(1, group=5), ev(2, "pro_eu", group=5), SETTINGS)


def test_an_event_never_clashes_with_itself():
    event = ev(1)
    assert not events_clash(event, replace(event, group_id=99, group_kind="pro_eu"), SETTINGS)


@pytest.mark.parametrize("which", ["a", "b"])
def test_cancelled_never_clashes(which):
    a, b = ev(1), ev(2, "pro_eu")
    if which == "a":
        a = replace(a, status="cancelled")
    else:
        b = replace(b, status="cancelled")
    assert not events_clash(a, b, SETTINGS)


@pytest.mark.parametrize(
    ("gap_minutes", "clash"),
    [(-60, True), (0, True), (29, True), (30, False), (31, False), (120, False)],
)
def test_travel_margin_widens_the_times(gap_minutes, clash):
    """b starts `gap_minutes` after a ends; the margin is 30 min, ranges are half-open."""
    a = ev(1, start=at(0, 10), hours=2)
    b = ev(2, "pro_eu", start=at(0, 12) + timedelta(minutes=gap_minutes), hours=1)
    assert events_clash(a, b, SETTINGS) is clash
    assert events_clash(b, a, SETTINGS) is clash


def test_zero_margin_touching_events_do_not_clash():
    settings = replace(SETTINGS, margin=timedelta(0))
    a = ev(1, start=at(0, 10), hours=2)
    b = ev(2, "pro_eu", start=at(0, 12), hours=1)
    assert not events_clash(a, b, settings)


def test_different_seats_without_points_do_not_clash():
    assert not events_clash(ev(1, seat=1), ev(2, "pro_eu", seat=2), SETTINGS)


def test_no_seat_and_no_point_do_not_clash():
    assert not events_clash(ev(1, seat=None), ev(2, "pro_eu", seat=None), SETTINGS)


# --- A group covering several seats: its events without a place are anywhere in its area ---


def test_an_event_without_a_place_clashes_in_any_seat_of_its_group_s_area():
    somewhere = ev(1, seat=None, area={1, 2, 3})
    assert events_clash(somewhere, ev(2, "pro_eu", seat=2), SETTINGS)
    assert events_clash(ev(2, "pro_eu", seat=3, point=BRISTOL), somewhere, SETTINGS)
    assert not events_clash(somewhere, ev(2, "pro_eu", seat=4), SETTINGS)


def test_two_events_without_a_place_clash_when_their_areas_share_a_seat():
    assert events_clash(
        ev(1, seat=None, area={1, 2}), ev(2, "pro_eu", seat=None, area={2, 5}), SETTINGS
    )
    assert not events_clash(
        ev(1, seat=None, area={1}), ev(2, "pro_eu", seat=None, area={5}), SETTINGS
    )


def test_an_event_with_a_seat_or_a_point_is_only_there_not_in_its_group_s_area():
    other = ev(2, "pro_eu", seat=2)
    assert not events_clash(ev(1, seat=1, area={1, 2}), other, SETTINGS)
    assert not events_clash(ev(1, seat=None, point=BATH, area={1, 2}), other, SETTINGS)


def test_a_group_covering_nothing_places_nothing():
    assert not events_clash(ev(1, seat=None), ev(2, "pro_eu", seat=None), SETTINGS)


def test_points_within_radius_clash_across_seats():
    a = ev(1, seat=1, point=BRISTOL)
    b = ev(2, "pro_eu", seat=2, point=BRISTOL_EAST)
    assert 2.5 < haversine_km(*BRISTOL, *BRISTOL_EAST) < 3.5
    assert events_clash(a, b, SETTINGS)


def test_points_beyond_radius_do_not_clash():
    assert not events_clash(
        ev(1, seat=1, point=BRISTOL), ev(2, "pro_eu", seat=2, point=BATH), SETTINGS
    )


def test_one_point_missing_falls_back_to_the_seat():
    assert not events_clash(ev(1, seat=1, point=BRISTOL), ev(2, "pro_eu", seat=2), SETTINGS)
    assert events_clash(ev(1, seat=3, point=BRISTOL), ev(2, "pro_eu", seat=3), SETTINGS)


def test_radius_is_inclusive():
    distance = haversine_km(*BRISTOL, *BRISTOL_EAST)
    a = ev(1, seat=1, point=BRISTOL)
    b = ev(2, "pro_eu", seat=2, point=BRISTOL_EAST)
    assert events_clash(a, b, replace(SETTINGS, radius_km=distance))
    assert not events_clash(a, b, replace(SETTINGS, radius_km=distance * 0.999))


def test_haversine_known_distance():
    # Bristol to Bath is about 18 km as the crow flies; one degree of latitude ~111.2 km.
    assert 17.5 < haversine_km(*BRISTOL, *BATH) < 18.5
    assert haversine_km(51.0, 0.0, 52.0, 0.0) == pytest.approx(111.195, abs=0.01)
    assert haversine_km(*BRISTOL, *BRISTOL) == 0


def test_any_two_branches_rule():
    settings = replace(SETTINGS, rules=(BRANCHES,))
    assert events_clash(ev(1, party=1), ev(2, party=2), settings)
    assert events_clash(ev(1, party=1), ev(2, party=1), settings)  # different branches
    assert not events_clash(ev(1), ev(2, "pro_eu"), settings)


def test_one_party_rule_only_compares_that_party():
    lib_dems_only = RuleInfo(frozenset({"party_branch"}), frozenset({"pro_eu"}), party_id=3)
    settings = replace(SETTINGS, rules=(lib_dems_only,))
    assert events_clash(ev(1, party=3), ev(2, "pro_eu"), settings)
    assert events_clash(ev(2, "pro_eu"), ev(1, party=3), settings)
    assert not events_clash(ev(1, party=4), ev(2, "pro_eu"), settings)


def test_no_rules_no_clashes():
    assert not events_clash(ev(1), ev(2, "pro_eu"), replace(SETTINGS, rules=()))


def test_several_rules_any_matches():
    settings = replace(SETTINGS, rules=(DEFAULT_RULE, BRANCHES))
    assert events_clash(ev(1), ev(2, "pro_eu"), settings)
    assert events_clash(ev(1, party=1), ev(2, party=2), settings)


def test_overlap_minutes():
    a = ev(1, start=at(0, 10), hours=2)
    assert overlap_minutes(a, ev(2, start=at(0, 11), hours=2)) == 60
    assert overlap_minutes(a, ev(2, start=at(0, 12, 10), hours=1)) == 0


def test_bruteforce_returns_ordered_pairs():
    events = [ev(5), ev(2, "pro_eu"), ev(9, "progressive_alliance"), ev(3, "pro_eu", seat=8)]
    assert clash_pairs_bruteforce(events, SETTINGS) == {(2, 5), (5, 9)}
    assert pair_key(9, 2) == (2, 9)


def test_candidate_slots_keep_wall_clock_time_across_clock_change():
    # 2030-10-27: clocks go back. A Saturday 10:00 event's next slots stay at 10:00 London.
    start = at(0).replace(month=10, day=26)
    slots = candidate_slots(start, start + timedelta(hours=2), now=start - timedelta(days=1))
    assert slots, "some slots"
    for slot_start, slot_end in slots:
        assert slot_end - slot_start == timedelta(hours=2)
        assert slot_start.astimezone(start.tzinfo).hour in (7, 10, 13)
        assert start - timedelta(days=1) < slot_start <= start + timedelta(days=13)
    assert slots[0][0] in (start - timedelta(hours=3), start + timedelta(hours=3))


# --- Properties --------------------------------------------------------------------------

kinds = st.sampled_from(["party_branch", "pro_eu", "progressive_alliance", "other"])
events = st.builds(
    lambda id, kind, group, party, minutes, hours, seat, point, cancelled: ev(
        id,
        kind,
        group=group,
        party=party,
        start=at(0) + timedelta(minutes=minutes),
        hours=hours,
        seat=seat,
        point=point,
        status="cancelled" if cancelled else "scheduled",
    ),
    id=st.integers(1, 10_000),
    kind=kinds,
    group=st.integers(1, 4),
    party=st.integers(1, 3),
    minutes=st.integers(0, 24 * 60),
    hours=st.sampled_from([0.5, 1, 2, 4]),
    seat=st.one_of(st.none(), st.integers(1, 3)),
    point=st.one_of(
        st.none(),
        st.tuples(st.floats(51.3, 51.6), st.floats(-2.7, -2.3)),
    ),
    cancelled=st.booleans(),
)


@given(events, events)
def test_clash_is_symmetric(a, b):
    assert events_clash(a, b, SETTINGS) == events_clash(b, a, SETTINGS)


@given(events, events)
def test_clash_needs_overlap_with_margin_and_area(a, b):
    if events_clash(a, b, SETTINGS):
        assert times_overlap(a, b, SETTINGS.margin)
        assert a.group_id != b.group_id
        assert "party_branch" in (a.group_kind, b.group_kind)


@given(events, events, st.integers(0, 120))
def test_wider_margin_never_removes_a_clash(a, b, extra):
    wider = replace(SETTINGS, margin=SETTINGS.margin + timedelta(minutes=extra))
    if events_clash(a, b, SETTINGS):
        assert events_clash(a, b, wider)
