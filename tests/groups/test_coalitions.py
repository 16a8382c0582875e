"""Coalitions: a link request emails the other group's organisers, who accept from the link;
linked groups share a coalition calendar and feed; a promoted event shows in the promoting
group's calendar and feed (marked) only once they accept; a co-host edits the event and sees
its RSVPs; a network sees its groups' events, clashes and member counts. Lists keep a
constant number of queries."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from clashes.models import Clash
from groups import coalitions, services
from groups.models import EventPromotion, Group, GroupLink, LinkStatus
from outbox.services import outbox_deliver
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import GroupFactory, MembershipFactory, UserFactory


@pytest.fixture
def ann(db):
    return UserFactory(name="Ann Lewes", email="ann@example.org")


@pytest.fixture
def bob(db):
    return UserFactory(name="Bob Brighton", email="bob@example.org")


@pytest.fixture
def lewes(ann):
    return GroupFactory(name="Lewes for Europe", slug="lewes", organiser=ann)


@pytest.fixture
def brighton(bob):
    return GroupFactory(name="Brighton Greens", slug="brighton", organiser=bob)


@pytest.fixture
def linked(lewes, brighton, ann):
    link = services.group_link_request(from_group=lewes, to_group=brighton, user=ann)
    return services.group_link_decide(link=link, accept=True)


def _path(message) -> str:
    return re.search(r"https?://[^/\s]+(/groups/\S+/)", message.body).group(1)


def test_a_link_request_emails_their_organisers_who_accept_from_the_link(
    client, lewes, brighton, ann, bob
):
    client.force_login(ann)
    client.post("/groups/lewes/links/new/", {"to_group": brighton.pk, "message": "Stalls?"})
    link = GroupLink.objects.get()
    assert link.status == LinkStatus.REQUESTED
    outbox_deliver()
    (message,) = mail.outbox
    assert message.to == ["bob@example.org"]
    assert "Lewes for Europe asks to link up with Brighton Greens" in message.subject
    path = _path(message)
    assert path == f"/groups/brighton/links/{link.pk}/"
    # Ann asked: she cannot accept for them.
    assert client.get(path).status_code == 403
    assert (
        client.post(f"/groups/brighton/links/{link.pk}/decide/", {"decision": "accept"}).status_code
        == 403
    )
    client.force_login(bob)
    page = client.get(path).content.decode()
    assert "Stalls?" in page and "Accept the link" in page
    client.post(f"/groups/brighton/links/{link.pk}/decide/", {"decision": "accept"})
    assert GroupLink.objects.get().status == LinkStatus.ACCEPTED
    assert list(Group.objects.linked_to(lewes)) == [brighton]


def test_asking_again_the_same_day_emails_nobody_again(lewes, brighton, ann):
    services.group_link_request(from_group=lewes, to_group=brighton, user=ann)
    services.group_link_request(from_group=lewes, to_group=brighton, user=ann)
    outbox_deliver()
    assert len(mail.outbox) == 1


def test_a_promoted_event_shows_in_their_calendar_and_feed_once_accepted(
    client, linked, lewes, brighton, ann, bob
):
    event = EventFactory(group=lewes, title="Lewes street stall")
    client.force_login(ann)
    client.post(f"/groups/lewes/events/{event.pk}/promote/", {"groups": [brighton.pk]})
    promotion = EventPromotion.objects.get()
    assert promotion.status == LinkStatus.REQUESTED
    client.logout()
    assert "Lewes street stall" not in client.get("/groups/brighton/").content.decode()
    assert b"Lewes street stall" not in client.get("/events/feeds/group/brighton.ics").content

    client.force_login(bob)
    client.post(f"/groups/brighton/promotions/{promotion.pk}/decide/", {"decision": "accept"})
    client.logout()
    page = client.get("/groups/brighton/").content.decode()
    assert "Lewes street stall" in page and "Promoted by Brighton Greens" in page
    assert b"Lewes street stall" in client.get("/events/feeds/group/brighton.ics").content
    assert "Lewes street stall" in client.get("/events/agenda/?group=brighton").content.decode()
    coalition = client.get("/groups/brighton/coalition/").content.decode()
    assert "Lewes street stall" in coalition and "Promoted by Brighton Greens" in coalition
    assert b"Lewes street stall" in client.get("/groups/brighton/coalition.ics").content


def _feed_events(client, path) -> dict:
    import icalendar

    response = client.get(path)
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(vevent["summary"]): vevent for vevent in calendar.walk("VEVENT")}


def test_feeds_mark_a_promoted_event_promoted_by_the_group(client, linked, lewes, brighton, ann):
    event = EventFactory(group=lewes, title="Lewes street stall", description="Bring leaflets.")
    EventFactory(group=brighton, title="Brighton canvass")
    (promotion,) = coalitions.event_promotion_request(event=event, groups=[brighton], user=ann)
    before = client.get("/groups/brighton/coalition.ics")["ETag"]
    coalitions.event_promotion_decide(promotion=promotion, accept=True)
    assert client.get("/groups/brighton/coalition.ics")["ETag"] != before

    summary = "Lewes street stall (Lewes for Europe)"
    for path in ["/events/feeds/group/brighton.ics", "/groups/brighton/coalition.ics"]:
        events = _feed_events(client, path)
        promoted = events[summary]
        assert str(promoted["description"]) == "Promoted by Brighton Greens\n\nBring leaflets."
        categories = [str(c) for c in promoted["categories"].cats]
        assert "Promoted by Brighton Greens" in categories, path
        own = events["Brighton canvass (Brighton Greens)"]  # its own event: not marked
        assert "Promoted by" not in str(own.get("description", ""))
        assert not any("Promoted" in str(c) for c in own["categories"].cats)
    # Lewes's own feed lists its event unmarked: nobody promotes it into its own calendar.
    lewes_event = _feed_events(client, "/events/feeds/group/lewes.ics")[summary]
    assert str(lewes_event["description"]) == "Bring leaflets."


@pytest.mark.parametrize("side", ["brighton", "lewes"])
def test_an_organiser_of_either_group_ends_the_link(
    client, linked, lewes, brighton, ann, bob, side
):
    from datetime import timedelta

    from django.utils import timezone

    stall = EventFactory(group=lewes, title="Lewes street stall")
    canvass = EventFactory(group=brighton, title="Brighton canvass")
    past = EventFactory(
        group=lewes,
        title="Last year's stall",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
    )
    for event, group, user in [
        (stall, brighton, ann),
        (past, brighton, ann),
        (canvass, lewes, bob),
    ]:
        (promotion,) = coalitions.event_promotion_request(event=event, groups=[group], user=user)
        if event != canvass:  # the canvass's promotion is still waiting for Lewes
            coalitions.event_promotion_decide(promotion=promotion, accept=True)
    outbox_deliver()
    mail.outbox.clear()
    ender, told = (bob, ann) if side == "brighton" else (ann, bob)
    ending, other = (brighton, lewes) if side == "brighton" else (lewes, brighton)
    client.force_login(ender)
    group_page = client.get(f"/groups/{side}/").content.decode()
    url = f"/groups/{side}/links/{linked.pk}/end/"
    assert url in group_page
    page = client.get(url).content.decode()
    assert f"End the link with {other.name}?" in page
    assert GroupLink.objects.filter(pk=linked.pk).exists()  # a GET changes nothing

    response = client.post(url)
    assert response["Location"] == f"/groups/{side}/"
    assert not GroupLink.objects.exists()
    assert not Group.objects.linked_to(lewes).exists()
    # Promotions between them of events to come are gone; the past one stays as it was.
    assert list(EventPromotion.objects.values_list("event__title", flat=True)) == [
        "Last year's stall"
    ]
    assert b"Lewes street stall" not in client.get("/events/feeds/group/brighton.ics").content
    assert "Lewes street stall" not in client.get("/groups/brighton/").content.decode()
    assert client.post(url).status_code == 404  # ended already: nothing twice
    outbox_deliver()
    (message,) = mail.outbox
    assert message.to == [told.email]
    assert message.subject.endswith(f"{ending.name} ended its link with {other.name}")


def test_only_organisers_see_the_end_link_button(client, linked, brighton):
    url = f"/groups/brighton/links/{linked.pk}/end/"
    assert url not in client.get("/groups/brighton/").content.decode()
    member = UserFactory()
    MembershipFactory(user=member, group=brighton)
    client.force_login(member)
    assert url not in client.get("/groups/brighton/").content.decode()
    assert client.get(url).status_code == 403


def test_only_linked_groups_can_be_asked_to_promote(lewes, ann):
    stranger = GroupFactory()
    event = EventFactory(group=lewes)
    with pytest.raises(ValidationError):
        coalitions.event_promotion_request(event=event, groups=[stranger], user=ann)
    assert not EventPromotion.objects.exists()


def test_a_co_host_edits_the_event_and_sees_its_rsvps(client, lewes, brighton, ann, bob):
    event = EventFactory(group=lewes, title="Joint hustings")
    RsvpFactory(event=event, user=UserFactory(name="Vera Voter"))
    client.force_login(bob)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 403
    client.force_login(ann)
    client.post(f"/groups/lewes/events/{event.pk}/cohost/", {"group": brighton.pk})
    outbox_deliver()
    (message,) = mail.outbox
    assert message.to == ["bob@example.org"]
    client.force_login(bob)
    path = _path(message)
    assert "Co-host it" in client.get(path).content.decode()
    client.post(path + "decide/", {"decision": "accept"})
    assert list(event.co_organisers.all()) == [brighton]
    assert client.get(f"/events/{event.pk}/edit/").status_code == 200
    assert "Vera Voter" in client.get(f"/events/{event.pk}/attendees/").content.decode()


def test_a_network_sees_its_groups_events_clashes_and_members(client, lewes, brighton, ann, bob):
    sussex = GroupFactory(name="Sussex Network", slug="sussex", organiser=ann)
    coalitions.network_request_create(parent=sussex, child=brighton, user=ann)
    outbox_deliver()
    client.force_login(bob)
    path = _path(mail.outbox[-1])
    client.post(path + "decide/", {"decision": "accept"})
    assert Group.objects.get(pk=brighton.pk).parent == sussex
    MembershipFactory(group=brighton)
    one = EventFactory(group=brighton, title="Brighton canvass")
    two = EventFactory(group=lewes, title="Lewes canvass", starts_at=one.starts_at)
    Clash.objects.create(
        event_a=min(one, two, key=lambda e: e.pk), event_b=max(one, two, key=lambda e: e.pk)
    )
    client.force_login(ann)
    page = client.get("/groups/sussex/network/").content.decode()
    assert "Brighton canvass" in page
    assert re.search(r"Brighton Greens</a></td><td>2</td>", page)
    assert "Lewes canvass" in page and "an event you cannot see" not in page
    with pytest.raises(ValidationError):
        coalitions.network_request_create(parent=brighton, child=sussex, user=bob)


@pytest.mark.parametrize("n", [1, 5])
def test_the_coalition_page_has_constant_queries(
    client, linked, lewes, brighton, ann, bob, n, django_assert_num_queries
):
    for i in range(n):
        event = EventFactory(group=lewes, title=f"Stall {i}")
        (promotion,) = coalitions.event_promotion_request(event=event, groups=[brighton], user=ann)
        coalitions.event_promotion_decide(promotion=promotion, accept=True)
        EventFactory(group=brighton, title=f"Canvass {i}")
    with django_assert_num_queries(4):
        page = client.get("/groups/brighton/coalition/").content.decode()
    assert page.count("Promoted by Brighton Greens") == n


@pytest.mark.parametrize("n", [1, 5])
def test_the_network_page_has_constant_queries(client, ann, n, django_assert_num_queries):
    network = GroupFactory(slug="net", organiser=ann)
    for i in range(n):
        child = GroupFactory(name=f"Local {i}")
        Group.objects.filter(pk=child.pk).update(parent=network)
        one = EventFactory(group=child)
        two = EventFactory(starts_at=one.starts_at)
        Clash.objects.create(event_a=one, event_b=two)
    client.force_login(ann)
    client.get("/groups/net/network/")
    with django_assert_num_queries(14):
        page = client.get("/groups/net/network/").content.decode()
    assert page.count("Local ") >= n


def test_coalition_requests_are_in_the_export_and_let_go_on_erase(linked, lewes, brighton, ann):
    from accounts.services import user_data_export
    from groups import personal_data

    event = EventFactory(group=lewes)
    coalitions.event_promotion_request(event=event, groups=[brighton], user=ann)
    coalitions.event_cohost_invite(event=event, group=brighton, user=ann)
    made = user_data_export(user=ann)["groups"]["coalition_requests_made"]
    assert {(row["kind"], row["to_group"]) for row in made} == {
        ("promotion", "Brighton Greens"),
        ("co-host", "Brighton Greens"),
    }
    personal_data.erase(ann)
    assert EventPromotion.objects.get().requested_by is None
    assert event.cohost_invitations.get().invited_by is None


def test_the_event_form_invites_a_co_host(client, lewes, brighton, ann, bob):
    from datetime import timedelta

    from django.utils import timezone

    from groups.models import CoHostInvitation

    start = timezone.localtime(timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    client.force_login(ann)
    assert "Invite a group to co-host" in client.get("/events/new/lewes/").content.decode()
    client.post(
        "/events/new/lewes/",
        {
            "title": "Debate night",
            "kind": "public_meeting",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "visibility": "public",
            "cohost": brighton.pk,
        },
    )
    invitation = CoHostInvitation.objects.get()
    assert invitation.event.title == "Debate night" and invitation.group == brighton
    assert not invitation.event.co_organisers.exists()  # not before they accept
    outbox_deliver()
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
