"""Detection in SQL (events/detection.py): incremental check, sweep, resolution, the outbox,
and property tests that SQL and the brute-force reference agree."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clashes import detection, services
from clashes.delivery import clash_email_build
from clashes.models import Clash, ClashNotification, ClashRule, ClashStatus
from clashes.rules import ClashSettings, RuleInfo, clash_pairs_bruteforce
from events.models import Event
from groups.models import GroupKind, PartyStaff
from seats.regions import Region
from tests.clashes.clash_support import (
    BATH,
    BRISTOL,
    BRISTOL_EAST,
    at,
    info,
    make_event,
    two_sides,
)
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyBranchFactory,
    PartyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def recipients(clash):
    return set(
        ClashNotification.objects.filter(clash=clash).values_list("recipient__email", flat=True)
    )


def test_default_rule_exists_from_the_data_migration():
    rule = ClashRule.objects.get()
    assert rule.side_a_kinds == ["party_branch"]
    assert set(rule.side_b_kinds) == {"pro_eu", "progressive_alliance"}
    assert rule.party is None and rule.is_active


def test_incremental_check_records_one_clash_and_one_outbox_row_per_organiser(
    django_capture_on_commit_callbacks,
):
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seat = ConstituencyFactory()
    stall = make_event(branch, start=at(0, 10), constituency=seat)
    rally = make_event(pro_eu, start=at(0, 11), constituency=seat)

    with django_capture_on_commit_callbacks() as callbacks:
        result = services.event_clashes_check(event_id=rally.pk)
    assert len(result.new) == 1
    after_commit = [callback.__qualname__.split(".")[0] for callback in callbacks]
    assert after_commit.count("enqueue_after_commit") == 1  # delivery queued after commit
    assert after_commit.count("changed") == 1  # the calendar's second bump (the clash marker)
    clash = Clash.objects.get()
    assert (clash.event_a_id, clash.event_b_id) == (stall.pk, rally.pk)
    assert clash.status == ClashStatus.OPEN and clash.same_constituency
    assert clash.distance_km is None
    assert recipients(clash) == {branch_org.email, pro_eu_org.email}

    # Checking again, from either side, changes nothing.
    assert services.event_clashes_check(event_id=stall.pk).new == []
    assert services.event_clashes_check(event_id=rally.pk).new == []
    assert Clash.objects.count() == 1
    assert ClashNotification.objects.count() == 2


def test_points_within_radius_clash_and_distance_is_stored():
    branch, pro_eu, *_ = two_sides()
    a = make_event(branch, start=at(0), point=BRISTOL, constituency=ConstituencyFactory())
    b = make_event(pro_eu, start=at(0), point=BRISTOL_EAST, constituency=ConstituencyFactory())
    make_event(pro_eu, start=at(0), point=BATH, constituency=ConstituencyFactory())
    services.event_clashes_check(event_id=a.pk)
    clash = Clash.objects.get()
    assert (clash.event_a_id, clash.event_b_id) == (a.pk, b.pk)
    assert 2.5 < clash.distance_km < 3.5
    assert not clash.same_constituency
    # Shown in miles, as British organisers measure it: the page and the email agree.
    miles = f"{clash.distance_miles:.1f} miles apart"
    assert 1.5 < clash.distance_miles < 2.2
    page = render_to_string("clashes/clash_detail.html", {"clash": clash})
    email = clash_email_build(ClashNotification.objects.filter(clash=clash).first())
    assert miles in page and miles in email.body and "km" not in email.body


def test_same_group_other_kinds_and_cancelled_do_not_clash():
    branch, pro_eu, *_ = two_sides()
    other = GroupFactory(kind=GroupKind.OTHER)
    seat = ConstituencyFactory()
    mine = make_event(branch, start=at(0), constituency=seat)
    make_event(branch, start=at(0), constituency=seat)  # same group
    make_event(other, start=at(0), constituency=seat)  # not compared by the default rule
    make_event(pro_eu, start=at(0), constituency=seat, status="cancelled")
    make_event(pro_eu, start=at(1), constituency=seat)  # another day
    assert services.event_clashes_check(event_id=mine.pk).new == []
    assert not Clash.objects.exists()


def test_one_event_check_is_one_statement_when_nothing_is_new():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    a = make_event(branch, start=at(0), constituency=seat)
    make_event(pro_eu, start=at(0), constituency=seat)
    services.event_clashes_check(event_id=a.pk)
    with CaptureQueriesContext(connection) as queries:
        services.event_clashes_check(event_id=a.pk)
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1
    assert "&&" in statements[0]


def test_moving_away_resolves_and_moving_back_reopens_without_new_emails():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    a = make_event(branch, start=at(0), constituency=seat)
    b = make_event(pro_eu, start=at(0), constituency=seat)
    services.event_clashes_check(event_id=b.pk)
    clash = Clash.objects.get()

    Event.objects.filter(pk=b.pk).update(starts_at=at(2), ends_at=at(2, 12))
    result = services.event_clashes_check(event_id=b.pk)
    assert result.resolved == [clash.pk]
    clash.refresh_from_db()
    assert clash.status == ClashStatus.RESOLVED

    Event.objects.filter(pk=b.pk).update(starts_at=at(0, 11), ends_at=at(0, 13))
    result = services.event_clashes_check(event_id=a.pk)
    assert result.reopened == [clash.pk] and result.new == []
    clash.refresh_from_db()
    assert clash.status == ClashStatus.OPEN
    assert ClashNotification.objects.count() == 2


def test_cancelling_resolves_but_decisions_stay():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    a = make_event(branch, start=at(0), constituency=seat)
    b = make_event(pro_eu, start=at(0), constituency=seat)
    c = make_event(pro_eu, start=at(0), constituency=seat, title="Another")
    services.event_clashes_check(event_id=a.pk)
    ab = Clash.objects.get(event_b=b)
    ac = Clash.objects.get(event_b=c)
    Clash.objects.filter(pk=ac.pk).update(status=ClashStatus.DISMISSED)
    Event.objects.filter(pk=a.pk).update(status="cancelled")
    services.event_clashes_check(event_id=a.pk)
    ab.refresh_from_db()
    ac.refresh_from_db()
    assert ab.status == ClashStatus.RESOLVED
    assert ac.status == ClashStatus.DISMISSED


def test_outbox_recipients_co_organisers_and_party_staff_by_region():
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    MembershipFactory(group=branch)  # a plain member: not told
    partner = GroupFactory(organiser=UserFactory(email="partner@example.org"))
    seat = ConstituencyFactory(region=Region.SOUTH_WEST)
    a = make_event(branch, start=at(0), constituency=seat)
    b = make_event(pro_eu, start=at(0), constituency=seat)
    b.co_organisers.add(partner)
    party = branch.party
    told = [
        PartyStaff.objects.create(
            user=UserFactory(email="sw@example.org"),
            party=party,
            region=Region.SOUTH_WEST,
            notify_clashes=True,
        ),
        PartyStaff.objects.create(
            user=UserFactory(email="uk@example.org"), party=party, region="", notify_clashes=True
        ),
    ]
    PartyStaff.objects.create(
        user=UserFactory(email="london@example.org"),
        party=party,
        region=Region.LONDON,
        notify_clashes=True,
    )
    PartyStaff.objects.create(
        user=UserFactory(email="quiet@example.org"), party=party, notify_clashes=False
    )
    PartyStaff.objects.create(
        user=UserFactory(email="other-party@example.org"),
        party=PartyFactory(),
        notify_clashes=True,
    )
    gone = UserFactory(email="gone@example.org", is_active=False)
    MembershipFactory(user=gone, group=branch, role="organiser")
    services.event_clashes_check(event_id=a.pk)
    assert recipients(Clash.objects.get()) == {
        branch_org.email,
        pro_eu_org.email,
        "partner@example.org",
        *(staff.user.email for staff in told),
    }


def test_sweep_finds_the_same_clashes_is_idempotent_and_resolves():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    a = make_event(branch, start=at(0), constituency=seat)
    b = make_event(pro_eu, start=at(0, 11), constituency=seat)
    make_event(pro_eu, start=at(0), constituency=ConstituencyFactory())
    window = {"start": at(-1), "end": at(10)}
    first = services.clashes_sweep(**window)
    assert len(first.new) == 1
    assert services.clashes_sweep(**window).new == []
    assert Clash.objects.count() == 1 and ClashNotification.objects.count() == 2

    Event.objects.filter(pk=a.pk).update(constituency=ConstituencyFactory())
    assert services.clashes_sweep(**window).resolved == first.new
    # A window that does not contain the pair leaves it alone.
    Event.objects.filter(pk=a.pk).update(constituency=seat)
    assert services.clashes_sweep(start=at(20), end=at(30)).reopened == []
    assert services.clashes_sweep(**window).reopened == first.new
    assert b.pk in {Clash.objects.get().event_b_id}


def test_batch_check_of_many_events_matches_one_by_one():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    a = make_event(branch, start=at(0), constituency=seat)
    b = make_event(pro_eu, start=at(0), constituency=seat)
    c = make_event(pro_eu, start=at(1), constituency=seat)
    d = make_event(branch, start=at(1), constituency=seat)
    make_event(branch, start=at(5), constituency=seat)
    result = services.events_clashes_check(event_ids=[a.pk, b.pk, c.pk])
    assert len(result.new) == 2
    assert {(x.event_a_id, x.event_b_id) for x in Clash.objects.all()} == {
        (a.pk, b.pk),
        (c.pk, d.pk),
    }
    assert services.events_clashes_check(event_ids=[a.pk, b.pk, c.pk, d.pk]).new == []
    Event.objects.filter(pk=d.pk).update(status="cancelled")
    assert len(services.events_clashes_check(event_ids=[d.pk]).resolved) == 1


def test_sweep_finds_pairs_at_the_window_edge():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    make_event(branch, start=at(0, 8), hours=3, constituency=seat)  # starts before the window
    make_event(pro_eu, start=at(0, 10, 30), constituency=seat)
    assert len(services.clashes_sweep(start=at(0, 10, 15), end=at(1)).new) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_record_one_clash_and_one_row_per_recipient():
    branch, pro_eu, *_ = two_sides()
    seat = ConstituencyFactory()
    a = make_event(branch, start=at(0), constituency=seat)
    b = make_event(pro_eu, start=at(0), constituency=seat)
    barrier = threading.Barrier(4)
    errors = []

    def run(event_id, sweep):
        try:
            barrier.wait()
            if sweep:
                services.clashes_sweep(start=at(-1), end=at(2))
            else:
                services.event_clashes_check(event_id=event_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(a.pk, False)),
        threading.Thread(target=run, args=(b.pk, False)),
        threading.Thread(target=run, args=(a.pk, True)),
        threading.Thread(target=run, args=(b.pk, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Clash.objects.count() == 1
    assert ClashNotification.objects.count() == 2


# --- SQL and the brute-force reference agree ---------------------------------------------

RULE_SETS = {
    "default": None,
    "branches": [("party_branch",), ("party_branch",), False],
    "one-party": [("party_branch",), ("pro_eu", "progressive_alliance"), True],
}

event_spec = st.fixed_dictionaries(
    {
        "group": st.integers(0, 4),
        "minutes": st.integers(0, 48 * 60).map(lambda m: m - m % 15),
        "hours": st.sampled_from([0.5, 1, 2, 3]),
        "seat": st.one_of(st.none(), st.integers(0, 2)),
        "point": st.one_of(st.none(), st.tuples(st.floats(51.40, 51.50), st.floats(-2.65, -2.50))),
        "cancelled": st.booleans(),
    }
)


def test_sql_detection_agrees_with_the_bruteforce_reference():
    party, other_party = PartyFactory(), PartyFactory()
    groups = [
        PartyBranchFactory(party=party),
        PartyBranchFactory(party=other_party),
        GroupFactory(kind=GroupKind.PRO_EU),
        GroupFactory(kind=GroupKind.PROGRESSIVE_ALLIANCE),
        GroupFactory(kind=GroupKind.OTHER),
    ]
    seats = [ConstituencyFactory() for _ in range(3)]

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        specs=st.lists(event_spec, min_size=0, max_size=10),
        rule_names=st.sets(st.sampled_from(sorted(RULE_SETS)), min_size=1),
        margin=st.sampled_from([0, 30, 90]),
        radius=st.sampled_from([1.0, 5.0, 12.0]),
        # The seats each group covers: its events without a place may be in any of them.
        coverage=st.lists(st.sets(st.integers(0, 2)), min_size=5, max_size=5),
    )
    def check(specs, rule_names, margin, radius, coverage):
        with transaction.atomic():
            for group, covered in zip(groups, coverage, strict=True):
                group.constituencies.set([seats[i] for i in covered])
            rules = []
            ClashRule.objects.update(is_active="default" in rule_names)
            if "default" in rule_names:
                rules.append(
                    RuleInfo(
                        frozenset({"party_branch"}), frozenset({"pro_eu", "progressive_alliance"})
                    )
                )
            for name in rule_names - {"default"}:
                side_a, side_b, one_party = RULE_SETS[name]
                ClashRule.objects.create(
                    name=name,
                    side_a_kinds=list(side_a),
                    side_b_kinds=list(side_b),
                    party=party if one_party else None,
                )
                rules.append(
                    RuleInfo(frozenset(side_a), frozenset(side_b), party.pk if one_party else None)
                )
            events = [
                make_event(
                    groups[spec["group"]],
                    start=at(0, 0) + timedelta(minutes=spec["minutes"]),
                    hours=spec["hours"],
                    point=spec["point"],
                    constituency=seats[spec["seat"]] if spec["seat"] is not None else None,
                    status="cancelled" if spec["cancelled"] else "scheduled",
                )
                for spec in specs
            ]
            infos = [info(Event.objects.select_related("group").get(pk=e.pk)) for e in events]
            reference = clash_pairs_bruteforce(
                infos,
                ClashSettings(margin=timedelta(minutes=margin), radius_km=radius, rules=rules),
            )
            with override_settings(
                CLASH_TRAVEL_MARGIN=timedelta(minutes=margin), CLASH_RADIUS_KM=radius
            ):
                swept = detection.clash_pairs_in_window(start=at(-2), end=at(5))
                assert swept == reference
                for event in events:
                    mine = {pair for pair in reference if event.pk in pair}
                    assert detection.event_clash_candidates(event_id=event.pk) == mine
                recorded = services.clashes_sweep(start=at(-2), end=at(5))
                assert {
                    (c.event_a_id, c.event_b_id) for c in Clash.objects.filter(pk__in=recorded.new)
                } == reference
            transaction.set_rollback(True)

    check()
