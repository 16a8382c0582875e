"""The calendar pages served from the cache (events/views.py: _calendar_page): a signed-out
hit costs no query, a signed-in one no query on events; any change made through the services
(events, answers, clashes, co-hosts) shows at once; and what depends on the viewer (clash
markers, members-only and alliance events) reaches only people of the same viewer class."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from alliance import versioned_cache
from clashes import services as clash_services
from clashes.models import Clash
from events import services
from events.models import Event, Visibility
from tests.clashes.clash_support import at, make_event, two_sides
from tests.events.factories import EventFactory
from tests.factories import ConstituencyFactory, GroupFactory, MembershipFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db

PAGES = [
    "/events/month/?month=2030-06",
    "/events/week/?week=2030-06-03",
    "/events/agenda/?date=2030-06-03",
]


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _without_token(html: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _create(group, author, title, day=0, **fields) -> Event:
    return services.event_create(
        group=group,
        author=author,
        title=title,
        kind="street_stall",
        starts_at=at(day, 10),
        ends_at=at(day, 12),
        **fields,
    )


@pytest.fixture
def organiser_group():
    group = GroupFactory(name="Bristol for Europe")
    organiser = MembershipFactory(group=group, role="organiser").user
    return group, organiser


@pytest.mark.parametrize("url", PAGES)
def test_a_signed_out_visitor_gets_the_page_again_without_a_query(client, organiser_group, url):
    group, organiser = organiser_group
    _create(group, organiser, "Leaflet drop")
    first = _html(client, url)
    assert "Leaflet drop" in first
    assert _queries(client, url) == 0
    assert _without_token(_html(client, url)) == _without_token(first)
    # Another query string is another page.
    assert _queries(client, url + "&kind=rally") > 0


@pytest.mark.parametrize("url", PAGES)
def test_new_edited_and_cancelled_events_show_at_once(client, organiser_group, url):
    group, organiser = organiser_group
    assert "Leaflet drop" not in _html(client, url)
    event = _create(group, organiser, "Leaflet drop")
    assert "Leaflet drop" in _html(client, url)
    services.event_update(event=event, author=organiser, title="Leaflet drop, Redland")
    assert "Leaflet drop, Redland" in _html(client, url)
    services.event_cancel(event=event, author=organiser)
    html = _html(client, url)
    assert "<s>Leaflet drop, Redland</s>" in html or "status-cancelled" in html


def test_going_counts_show_at_once(client, organiser_group):
    group, organiser = organiser_group
    event = _create(group, organiser, "Leaflet drop", capacity=10)
    url = "/events/agenda/?date=2030-06-03"
    assert "0 going of 10" in _html(client, url)
    services.rsvp_set(event=event, user=UserFactory(), answer="going")
    assert "1 going of 10" in _html(client, url)


def test_members_only_events_never_reach_a_signed_out_visitor_from_the_cache(
    client, organiser_group
):
    group, organiser = organiser_group
    _create(group, organiser, "Members' planning night", visibility=Visibility.GROUP)
    _create(group, organiser, "Public stall")
    url = "/events/month/?month=2030-06"
    client.force_login(organiser)
    assert "Members&#x27; planning night" in _html(client, url)
    client.logout()
    html = _html(client, url)
    assert "Public stall" in html and "planning night" not in html


@pytest.fixture
def clash_scene():
    branch, pro_eu, branch_org, _ = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    make_event(branch, start=at(0, 10), constituency=seat, title="Lib Dem street stall")
    rally = make_event(pro_eu, start=at(0, 11), constituency=seat, title="EU flag rally")
    clash_services.event_clashes_check(event_id=rally.pk)
    return branch_org


@pytest.mark.parametrize("url", PAGES)
def test_an_organiser_sees_clash_markers_and_a_signed_out_visitor_after_them_does_not(
    client, clash_scene, url
):
    client.force_login(clash_scene)
    assert "clash-marker" in _html(client, url)
    assert "clash-marker" in _html(client, url)  # from the cache of the organiser's class
    client.logout()
    html = _html(client, url)
    assert "Lib Dem street stall" in html and "clash-marker" not in html
    assert _queries(client, url) == 0  # now cached, still without the marker
    client.force_login(clash_scene)
    assert "clash-marker" in _html(client, url)


def test_each_visitor_gets_their_own_csrf_token_around_a_cached_body(organiser_group):
    """The body is cached; the page around it (base.html, with the CSRF token) is not."""
    from django.middleware.csrf import _does_token_match
    from django.test import Client

    url = "/events/month/?month=2030-06"
    first, second = Client(), Client()
    _html(first, url)
    assert _queries(second, url) == 0  # from the cache
    response = second.get(url)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', response.content.decode()).group(1)
    assert _does_token_match(token, second.cookies["csrftoken"].value)
    assert not _does_token_match(token, first.cookies["csrftoken"].value)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "organiser"])
@pytest.mark.parametrize("view", ["month", "week", "agenda"])
def test_pages_run_a_fixed_number_of_queries(
    client, organiser_group, view, signed_in, django_assert_num_queries
):
    """Rendered afresh (after a change), the same SQL count with 10 and 1,000 events; from
    the cache, none on events (signed in: the session, the user and the viewer class)."""
    group, organiser = organiser_group
    if signed_in:
        client.force_login(organiser)
    url = {
        "month": "/events/month/?month=2030-06",
        "week": "/events/week/?week=2030-06-03",
        "agenda": "/events/agenda/?date=2030-06-03",
    }[view]

    def bulk(count):
        start = datetime(2030, 6, 3, 9, 0, tzinfo=LONDON)
        Event.objects.bulk_create(
            Event(
                group=group,
                title=f"Bulk {n}",
                kind="canvassing",
                starts_at=start + timedelta(minutes=n * 40),
                ends_at=start + timedelta(minutes=n * 40 + 30),
            )
            for n in range(count)
        )
        services.calendar_changed()

    bulk(10)
    with_10 = _queries(client, url)
    bulk(990)
    with django_assert_num_queries(with_10):
        assert "Bulk" in client.get(url).content.decode()
    assert _queries(client, url) < with_10
    assert _event_queries(client, url) == []


def test_the_version_moves_in_the_transaction_and_again_after_commit(
    django_capture_on_commit_callbacks,
):
    before = versioned_cache.version(services.CALENDAR_VERSION)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.calendar_changed()
        during = versioned_cache.version(services.CALENDAR_VERSION)
        assert during != before  # a render started now is not stored under the old version
    after = versioned_cache.version(services.CALENDAR_VERSION)
    # A render between the write and the commit read the old rows: it is keyed by `during`,
    # which the second bump leaves behind.
    assert after != during


def test_a_page_rendered_before_the_commit_is_not_served_after_it(client, organiser_group):
    group, organiser = organiser_group
    url = "/events/agenda/?date=2030-06-03"
    _html(client, url)  # cached with nothing in it
    with transaction.atomic():
        EventFactory(group=group, title="Late addition", starts_at=at(0, 9), ends_at=at(0, 10))
        services.calendar_changed()
    assert "Late addition" in _html(client, url)


def test_a_lost_counter_starts_again_from_a_fresh_number(client, organiser_group):
    from django.core.cache import cache

    versioned_cache.changed("test:lost")
    old = versioned_cache.version("test:lost")
    cache.delete("version:test:lost")
    assert versioned_cache.version("test:lost") != old


def _event_queries(client, url) -> list[str]:
    """The SQL a page load ran on events (none when the body came from the cache)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured if '"events_event"' in q["sql"]]


@pytest.mark.parametrize("url", PAGES)
def test_people_of_one_class_share_a_page_and_nobody_else_gets_it(organiser_group, url):
    from django.test import Client

    group, organiser = organiser_group
    _create(group, organiser, "Members' planning night", visibility=Visibility.GROUP)
    first, second, outsider = Client(), Client(), Client()
    first.force_login(MembershipFactory(group=group).user)
    second.force_login(MembershipFactory(group=group).user)
    outsider.force_login(UserFactory())
    assert "planning night" in _html(first, url)
    assert _event_queries(second, url) == []  # the same class: the first member's render
    assert "planning night" in _html(second, url)
    assert _event_queries(outsider, url) != []  # another class renders its own
    assert "planning night" not in _html(outsider, url)
    assert "planning night" not in _html(Client(), url)  # nor the public


def test_joining_a_group_shows_its_members_only_events_at_once(client, organiser_group):
    group, organiser = organiser_group
    _create(group, organiser, "Members' planning night", visibility=Visibility.GROUP)
    url = "/events/month/?month=2030-06"
    newcomer = UserFactory()
    client.force_login(newcomer)
    assert "planning night" not in _html(client, url)
    MembershipFactory(group=group, user=newcomer)
    assert "planning night" in _html(client, url)


def test_alliance_events_follow_a_group_being_verified(client, organiser_group):
    group, organiser = organiser_group
    _create(group, organiser, "Alliance strategy call", visibility=Visibility.ALLIANCE)
    other = GroupFactory(name="Unverified Progressives", is_verified=False)
    member = MembershipFactory(group=other).user
    url = "/events/month/?month=2030-06"
    client.force_login(member)
    assert "strategy call" not in _html(client, url)
    other.is_verified = True
    other.save(update_fields=["is_verified"])
    assert "strategy call" in _html(client, url)


def test_a_new_and_a_dismissed_clash_show_on_the_calendar_at_once(client):
    branch, pro_eu, branch_organiser, _ = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    make_event(branch, start=at(0, 10), constituency=seat, title="Lib Dem street stall")
    rally = make_event(pro_eu, start=at(0, 11), constituency=seat, title="EU flag rally")
    url = "/events/month/?month=2030-06"
    client.force_login(branch_organiser)
    assert "clash-marker" not in _html(client, url)  # cached before the worker finds it
    clash_services.event_clashes_check(event_id=rally.pk)
    assert "clash-marker" in _html(client, url)
    (clash,) = Clash.objects.all()
    clash_services.clash_dismiss(clash=clash, user=branch_organiser)
    assert "clash-marker" not in _html(client, url)


def test_a_co_host_sees_the_members_only_event_as_soon_as_it_accepts(client, organiser_group):
    from groups import coalitions

    group, organiser = organiser_group
    event = _create(group, organiser, "Joint planning night", visibility=Visibility.GROUP)
    cohost = GroupFactory(name="Bath for Europe")
    member = MembershipFactory(group=cohost).user
    url = "/events/month/?month=2030-06"
    client.force_login(member)
    assert "Joint planning night" not in _html(client, url)
    invitation = coalitions.event_cohost_invite(event=event, group=cohost, user=organiser)
    coalitions.event_cohost_decide(invitation=invitation, accept=True)
    assert "Joint planning night" in _html(client, url)


def test_a_renamed_group_and_an_erased_answer_show_at_once(client, organiser_group):
    """Even a past event's answer, which the erase deletes without the RSVP service."""
    from accounts.services import user_delete
    from events.models import Rsvp
    from groups.services import group_update

    group, _ = organiser_group
    start = datetime(2020, 6, 3, 10, 0, tzinfo=LONDON)
    event = EventFactory(
        group=group, title="Old stall", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    leaver = UserFactory()
    Rsvp.objects.create(event=event, user=leaver, answer="going")
    services.calendar_changed()
    url = "/events/agenda/?date=2020-06-03"
    assert "1 going" in _html(client, url)
    user_delete(user=leaver)
    assert "1 going" not in _html(client, url)
    group_update(group=group, name="Bristol Progressives")
    assert "Bristol Progressives" in _html(client, url)
