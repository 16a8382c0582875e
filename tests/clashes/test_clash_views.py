"""Clash pages: who may see and act (the "no" first), the actions, the staff list, the
notification settings reached from emails, and the calendar marker."""

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from clashes import delivery, services
from clashes.models import Clash, ClashNotification, ClashStatus, NotificationPreference
from events.models import Event, Rsvp
from events.services import event_attendees_notify
from groups.models import PartyStaff
from outbox.services import outbox_deliver
from seats.regions import Region
from tests.clashes.clash_support import at, make_event, two_sides
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyBranchFactory,
    PartyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seat = ConstituencyFactory(region=Region.SOUTH_WEST, name="Bristol West")
    a = make_event(branch, start=at(0, 10), constituency=seat, title="Lib Dem street stall")
    b = make_event(pro_eu, start=at(0, 11), constituency=seat, title="EU flag rally")
    services.event_clashes_check(event_id=b.pk)
    clash = Clash.objects.get()
    return {
        "clash": clash,
        "a": a,
        "b": b,
        "branch": branch,
        "pro_eu": pro_eu,
        "branch_org": branch_org,
        "pro_eu_org": pro_eu_org,
    }


def url(name, clash):
    return reverse(f"clashes:{name.removeprefix('clash_')}", kwargs={"pk": clash.pk})


# --- The clash page ----------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, scene):
    response = client.get(url("clash_detail", scene["clash"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_outsiders_members_and_other_party_staff_are_refused(client, scene):
    member = MembershipFactory(group=scene["branch"]).user
    other_staff = PartyStaff.objects.create(user=UserFactory(), party=PartyFactory()).user
    for user in (UserFactory(), member, other_staff):
        client.force_login(user)
        assert client.get(url("clash_detail", scene["clash"])).status_code == 403


def test_no_such_clash_is_404(client, scene):
    client.force_login(scene["branch_org"])
    response = client.get(reverse("clashes:detail", kwargs={"pk": 999999}))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["branch_org", "pro_eu_org"])
def test_organisers_of_either_side_see_both_events_and_actions(client, scene, who):
    client.force_login(scene[who])
    response = client.get(url("clash_detail", scene["clash"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lib Dem street stall" in html and "EU flag rally" in html
    assert "overlap by 60 minutes" in html
    assert "Both are in Bristol West" in html
    assert "Free slots for" in html
    assert url("clash_acknowledge", scene["clash"]) in html
    # A joint event changes both sides: only someone who organises both groups is offered it.
    assert url("clash_merge", scene["clash"]) not in html
    other = "pro_eu" if who == "branch_org" else "branch"
    MembershipFactory(user=scene[who], group=scene[other], role="organiser")
    html = client.get(url("clash_detail", scene["clash"])).content.decode()
    assert url("clash_merge", scene["clash"]) in html


def test_co_organising_groups_organisers_may_act(client, scene):
    partner_org = UserFactory()
    scene["b"].co_organisers.add(GroupFactory(organiser=partner_org))
    client.force_login(partner_org)
    assert client.get(url("clash_detail", scene["clash"])).status_code == 200
    response = client.post(url("clash_acknowledge", scene["clash"]))
    assert response.status_code == 302


def test_party_staff_of_the_party_see_but_cannot_act(client, scene):
    staff = PartyStaff.objects.create(user=UserFactory(), party=scene["branch"].party).user
    client.force_login(staff)
    response = client.get(url("clash_detail", scene["clash"]))
    assert response.status_code == 200
    assert url("clash_acknowledge", scene["clash"]) not in response.content.decode()
    assert client.post(url("clash_acknowledge", scene["clash"])).status_code == 403
    london = PartyStaff.objects.create(
        user=UserFactory(), party=scene["branch"].party, region=Region.LONDON
    ).user
    client.force_login(london)
    assert client.get(url("clash_detail", scene["clash"])).status_code == 403


def test_user_text_is_escaped(client, scene):
    Event.objects.filter(pk=scene["a"].pk).update(title="<script>alert('x')</script>")
    client.force_login(scene["branch_org"])
    html = client.get(url("clash_detail", scene["clash"])).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


# --- Actions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"),
    [("clash_acknowledge", ClashStatus.ACKNOWLEDGED), ("clash_dismiss", ClashStatus.DISMISSED)],
)
def test_acknowledge_and_dismiss(client, scene, action, status):
    clash = scene["clash"]
    assert client.post(url(action, clash)).status_code == 302  # anonymous: to sign in
    client.force_login(UserFactory())
    assert client.post(url(action, clash)).status_code == 403
    client.force_login(scene["pro_eu_org"])
    assert client.get(url(action, clash)).status_code == 405
    response = client.post(url(action, clash), follow=True)
    assert response.status_code == 200
    clash.refresh_from_db()
    assert clash.status == status and clash.decided_by == scene["pro_eu_org"]
    # Acknowledged can still be dismissed; dismissed is settled: refused with a message.
    client.post(url("clash_dismiss", clash))
    response = client.post(url("clash_acknowledge", clash), follow=True)
    assert response.status_code == 200
    assert "already settled" in response.content.decode()
    clash.refresh_from_db()
    assert clash.status == ClashStatus.DISMISSED


def test_merge_makes_a_joint_event_and_tells_attendees(
    client, scene, django_capture_on_commit_callbacks
):
    clash, a, b = scene["clash"], scene["a"], scene["b"]
    going = UserFactory(email="going@example.org")
    Rsvp.objects.create(event=b, user=going, answer="going")
    client.force_login(UserFactory())
    assert client.post(url("clash_merge", clash), {"keep": a.pk}).status_code == 403
    # Organising one side is not enough to change the other side's event.
    client.force_login(scene["pro_eu_org"])
    assert client.post(url("clash_merge", clash), {"keep": a.pk}).status_code == 403
    MembershipFactory(user=scene["pro_eu_org"], group=scene["branch"], role="organiser")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("clash_merge", clash), {"keep": a.pk})
    assert response.status_code == 302 and response.url == a.get_absolute_url()
    assert callbacks, "the cancellation queues its tasks after commit"
    a.refresh_from_db()
    b.refresh_from_db()
    clash.refresh_from_db()
    assert clash.status == ClashStatus.MERGED
    assert b.status == "cancelled" and a.status == "scheduled"
    assert set(a.co_organisers.all()) == {scene["pro_eu"]}
    assert event_attendees_notify(event_id=b.pk) == 1
    outbox_deliver()  # the emails were written to the outbox
    assert mail.outbox[-1].to == ["going@example.org"]
    # The pro-EU organisers now organise the joint event: its clashes are theirs too.
    services.event_clashes_check(event_id=b.pk)
    clash.refresh_from_db()
    assert clash.status == ClashStatus.MERGED  # a decision is not overwritten


def test_merge_with_a_bad_choice_re_renders_with_an_error(client, scene):
    MembershipFactory(user=scene["branch_org"], group=scene["pro_eu"], role="organiser")
    client.force_login(scene["branch_org"])
    response = client.post(url("clash_merge", scene["clash"]), {"keep": "12345"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Event.objects.filter(status="cancelled").count() == 0


# --- The list for party staff and organisers ---------------------------------------------


def test_list_needs_sign_in_and_shows_only_what_the_user_may_see(client, scene):
    response = client.get(reverse("clashes:list"))
    assert response.status_code == 302
    client.force_login(UserFactory())
    response = client.get(reverse("clashes:list"))
    assert response.status_code == 200 and "No clashes match" in response.content.decode()
    client.force_login(scene["branch_org"])
    assert "EU flag rally" in client.get(reverse("clashes:list")).content.decode()


def test_staff_list_filters_by_region_party_and_status(client, scene):
    party = scene["branch"].party
    staff = PartyStaff.objects.create(user=UserFactory(), party=party).user
    # A second clash in London for the same party.
    london_seat = ConstituencyFactory(region=Region.LONDON)
    other_branch = PartyBranchFactory(party=party)
    make_event(other_branch, start=at(3), constituency=london_seat, title="London canvass")
    london = make_event(GroupFactory(), start=at(3), constituency=london_seat, title="London vigil")
    services.event_clashes_check(event_id=london.pk)
    Clash.objects.filter(event_b=london).update(status=ClashStatus.DISMISSED)
    client.force_login(staff)

    def titles(**query):
        html = client.get(reverse("clashes:list"), query).content.decode()
        return {t for t in ("EU flag rally", "London vigil") if t in html}

    assert titles() == {"EU flag rally", "London vigil"}
    assert titles(region=Region.LONDON) == {"London vigil"}
    assert titles(region=Region.SOUTH_WEST) == {"EU flag rally"}
    assert titles(status="dismissed") == {"London vigil"}
    assert titles(party=PartyFactory().pk) == set()
    assert titles(party=party.pk, status="open") == {"EU flag rally"}
    assert client.get(reverse("clashes:list"), {"region": "nowhere"}).status_code == 200


def _many_clashes(count: int, group_a, group_b, seat):
    events = Event.objects.bulk_create(
        [
            Event(
                group=group,
                title=f"E{i}",
                kind="rally",
                starts_at=at(i % 20, 10),
                ends_at=at(i % 20, 12),
                constituency=seat,
            )
            for i in range(count)
            for group in (group_a, group_b)
        ]
    )
    Clash.objects.bulk_create(
        [Clash(event_a=events[i], event_b=events[i + 1]) for i in range(0, len(events), 2)]
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_list_query_count_does_not_grow(client, scene, count, django_assert_num_queries):
    staff = PartyStaff.objects.create(user=UserFactory(), party=scene["branch"].party).user
    _many_clashes(count, scene["branch"], scene["pro_eu"], scene["a"].constituency)
    client.force_login(staff)
    # session, user, staff roles (visible_to), filter's party choices, count, page, and what
    # of each event the user may see (Event visible_to: memberships, staff roles, the ids)
    with django_assert_num_queries(8):
        response = client.get(reverse("clashes:list"), {"region": Region.SOUTH_WEST})
    assert response.status_code == 200


# --- Notification settings ---------------------------------------------------------------


def test_unsubscribe_link_works_without_sign_in(client, scene):
    user = scene["branch_org"]
    link = reverse("clashes:unsubscribe", kwargs={"token": delivery.unsubscribe_token(user.pk)})
    response = client.get(link)
    assert response.status_code == 200
    assert 'value="off" checked' in response.content.decode().replace("\n", " ") or (
        response.context["form"].initial["clash_emails"] == "off"
    )
    response = client.post(link, {"clash_emails": "off"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=user).clash_emails == "off"
    assert delivery.clash_notifications_deliver().skipped == 1
    assert ClashNotification.objects.get(recipient=user).status == "skipped"


def test_unsubscribe_refuses_forged_tokens_and_bad_choices(client, scene):
    assert client.get("/events/clashes/unsubscribe/forged/").status_code == 404
    token = delivery.unsubscribe_token(scene["branch_org"].pk)
    forged = token.replace(":", ";", 1)
    assert client.get(f"/events/clashes/unsubscribe/{forged}/").status_code == 404
    link = reverse("clashes:unsubscribe", kwargs={"token": token})
    response = client.post(link, {"clash_emails": "sometimes"})
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_signed_in_settings_page(client, scene):
    assert client.get(reverse("clashes:notifications")).status_code == 302
    client.force_login(scene["pro_eu_org"])
    response = client.post(reverse("clashes:notifications"), {"clash_emails": "digest"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=scene["pro_eu_org"]).clash_emails == "digest"


# --- The calendar marker -----------------------------------------------------------------


def test_open_clash_count_and_marker(scene):
    a, b = scene["a"], scene["b"]
    viewer = scene["branch_org"]
    counted = {e.pk: e.open_clash_count for e in Event.objects.with_open_clash_count(viewer)}
    assert counted == {a.pk: 1, b.pk: 1}
    assert "1 open clash" in render_to_string(
        "events/_clash_marker.html",
        {"event": Event.objects.with_open_clash_count(viewer).get(pk=a.pk)},
    )
    Clash.objects.update(status=ClashStatus.DISMISSED)
    event = Event.objects.with_open_clash_count(viewer).get(pk=a.pk)
    assert event.open_clash_count == 0
    assert render_to_string("events/_clash_marker.html", {"event": event}).strip() == ""


def test_clash_markers_are_for_those_who_may_see_the_clash(scene):
    from django.contrib.auth.models import AnonymousUser

    a = scene["a"]
    staff = PartyStaff.objects.create(user=UserFactory(), party=scene["branch"].party).user
    other_staff = PartyStaff.objects.create(user=UserFactory(), party=PartyFactory()).user
    for viewer, expected in [
        (None, 0),
        (AnonymousUser(), 0),
        (UserFactory(), 0),
        (MembershipFactory(group=scene["branch"]).user, 0),
        (other_staff, 0),
        (staff, 1),
        (scene["pro_eu_org"], 1),
    ]:
        event = Event.objects.with_open_clash_count(viewer).get(pk=a.pk)
        assert event.open_clash_count == expected, viewer


def test_signed_out_calendars_show_no_clash_marker(client, scene):
    for url in (
        "/events/month/?month=2030-06",
        "/events/week/?week=2030-06-03",
        "/events/agenda/?date=2030-06-03",
    ):
        html = client.get(url).content.decode()
        assert "Lib Dem street stall" in html, url
        assert "clash-marker" not in html, url
    client.force_login(scene["branch_org"])
    html = client.get("/events/month/?month=2030-06").content.decode()
    assert "clash-marker" in html


def test_the_event_page_shows_open_clashes_to_both_sides_and_staff_only(client, scene):
    a = scene["a"]
    clash_link = url("clash_detail", scene["clash"])
    assert clash_link not in client.get(a.get_absolute_url()).content.decode()
    staff = PartyStaff.objects.create(user=UserFactory(), party=scene["branch"].party).user
    for viewer in (scene["branch_org"], scene["pro_eu_org"], staff):
        client.force_login(viewer)
        html = client.get(a.get_absolute_url()).content.decode()
        assert clash_link in html and "EU flag rally" in html, viewer
    other_staff = PartyStaff.objects.create(user=UserFactory(), party=PartyFactory()).user
    for viewer in (UserFactory(), MembershipFactory(group=scene["branch"]).user, other_staff):
        client.force_login(viewer)
        html = client.get(a.get_absolute_url()).content.decode()
        assert clash_link not in html and "clash-marker" not in html, viewer
