"""The takeover through a clash: an organiser of group A creates an event that clashes with
group B's members-only event, then tries to read it, merge it into a "joint event" (which
would make group A a co-organiser with its edit form and attendee list) or cancel it. Each
step is refused; someone who organises both groups may still make a joint event."""

import pytest
from django.core import mail
from django.urls import reverse

from clashes import delivery, services
from clashes.models import Clash, ClashNotification, ClashStatus, NotificationPreference
from events.models import Event, Rsvp, Visibility
from tests.clashes.clash_support import at, make_event, two_sides
from tests.factories import ConstituencyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Branch strategy: target seats"
SECRET_VENUE = "Back room of the Red Lion"


@pytest.fixture
def attack():
    victim_group, attacker_group, victim_org, attacker_org = two_sides()
    seat = ConstituencyFactory(name="Bristol Central")
    victim_event = make_event(
        victim_group,
        start=at(1, 18),
        constituency=seat,
        title=SECRET_TITLE,
        venue_name=SECRET_VENUE,
        visibility=Visibility.GROUP,
    )
    attendee = UserFactory(name="Vera Volunteer", email="vera@example.org")
    MembershipFactory(user=attendee, group=victim_group)
    Rsvp.objects.create(event=victim_event, user=attendee, answer="going")
    bait = make_event(attacker_group, start=at(1, 18), constituency=seat, title="Bait stall")
    services.event_clashes_check(event_id=bait.pk)
    return {
        "clash": Clash.objects.get(),
        "victim_event": victim_event,
        "bait": bait,
        "victim_org": victim_org,
        "attacker_org": attacker_org,
        "attendee": attendee,
        "victim_group": victim_group,
    }


def clash_url(name, clash):
    return reverse(f"clashes:{name.removeprefix('clash_')}", kwargs={"pk": clash.pk})


def test_the_clash_page_does_not_show_the_private_event_to_the_other_side(client, attack):
    client.force_login(attack["attacker_org"])
    response = client.get(clash_url("clash_detail", attack["clash"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bait stall" in html
    assert SECRET_TITLE not in html and SECRET_VENUE not in html
    assert attack["victim_event"].get_absolute_url() not in html
    assert "An event you cannot see" in html


def test_the_clash_page_shows_it_to_its_own_organisers(client, attack):
    client.force_login(attack["victim_org"])
    html = client.get(clash_url("clash_detail", attack["clash"])).content.decode()
    assert SECRET_TITLE in html and "Bait stall" in html


def test_the_clash_list_does_not_show_the_private_event_to_the_other_side(client, attack):
    client.force_login(attack["attacker_org"])
    html = client.get(reverse("clashes:list")).content.decode()
    assert clash_url("clash_detail", attack["clash"]) in html
    assert SECRET_TITLE not in html
    client.force_login(attack["victim_org"])
    assert SECRET_TITLE in client.get(reverse("clashes:list")).content.decode()


@pytest.mark.parametrize("mode", ["immediate", "digest"])
def test_clash_emails_do_not_show_the_private_event_to_the_other_side(attack, mode):
    attacker = attack["attacker_org"]
    NotificationPreference.objects.create(user=attacker, clash_emails=mode)
    if mode == "immediate":
        delivery.clash_notifications_deliver()
    else:
        delivery.clash_digest_send()
    sent = [m for m in mail.outbox if m.to == [attacker.email]]
    assert len(sent) == 1
    html = sent[0].alternatives[0][0]
    for text in (sent[0].subject, sent[0].body, html):
        assert SECRET_TITLE not in text and SECRET_VENUE not in text
    assert "Bait stall" in sent[0].body
    notification = ClashNotification.objects.get(recipient=attacker)
    assert notification.status == "sent"


def test_the_victims_organiser_is_emailed_the_whole_clash(attack):
    delivery.clash_notifications_deliver()
    (sent,) = [m for m in mail.outbox if m.to == [attack["victim_org"].email]]
    assert SECRET_TITLE in sent.body and "Bait stall" in sent.body


@pytest.mark.parametrize("keep", ["victim_event", "bait"])
def test_the_other_side_cannot_merge(client, attack, keep):
    """Keeping the victim's event would make the attacker its co-organiser; keeping their own
    would cancel the victim's. Both are refused and nothing changes."""
    clash, victim_event = attack["clash"], attack["victim_event"]
    client.force_login(attack["attacker_org"])
    html = client.get(clash_url("clash_detail", clash)).content.decode()
    assert clash_url("clash_merge", clash) not in html
    response = client.post(clash_url("clash_merge", clash), {"keep": attack[keep].pk})
    assert response.status_code == 403
    victim_event.refresh_from_db()
    clash.refresh_from_db()
    assert victim_event.status == "scheduled"
    assert not victim_event.co_organisers.exists()
    assert clash.status == ClashStatus.OPEN


def test_the_merge_service_refuses_the_other_side_too(attack):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.clash_merge(
            clash=attack["clash"],
            user=attack["attacker_org"],
            keep_event_id=attack["victim_event"].pk,
        )
    assert not attack["victim_event"].co_organisers.exists()


def test_after_a_refused_merge_the_edit_form_and_attendees_stay_closed(client, attack):
    victim_event = attack["victim_event"]
    client.force_login(attack["attacker_org"])
    client.post(clash_url("clash_merge", attack["clash"]), {"keep": victim_event.pk})
    edit = client.get(reverse("events:edit", kwargs={"pk": victim_event.pk}))
    assert edit.status_code in {403, 404}
    assert SECRET_TITLE not in edit.content.decode()
    csv = client.get(reverse("events:attendees", kwargs={"pk": victim_event.pk}), {"format": "csv"})
    assert csv.status_code in {403, 404}
    assert "vera@example.org" not in csv.content.decode()


def test_someone_who_organises_both_groups_may_merge(client, attack):
    clash, victim_event, bait = attack["clash"], attack["victim_event"], attack["bait"]
    both = attack["victim_org"]
    MembershipFactory(user=both, group=bait.group, role="organiser")
    client.force_login(both)
    html = client.get(clash_url("clash_detail", clash)).content.decode()
    assert clash_url("clash_merge", clash) in html
    response = client.post(clash_url("clash_merge", clash), {"keep": victim_event.pk})
    assert response.status_code == 302
    bait.refresh_from_db()
    clash.refresh_from_db()
    assert bait.status == "cancelled" and clash.status == ClashStatus.MERGED
    assert set(victim_event.co_organisers.all()) == {bait.group}
    assert Event.objects.get(pk=victim_event.pk).status == "scheduled"
