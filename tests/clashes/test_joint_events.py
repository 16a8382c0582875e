"""Joint events by consent: an organiser of one side proposes, the other side's organisers are
emailed once and accept or decline. The "no" for every actor first, then the "yes"."""

import pytest
from django.core import mail
from django.urls import reverse

from clashes import services
from clashes.models import Clash, ClashStatus, JointEventProposal, ProposalStatus
from events.models import Event, EventStatus, Rsvp
from events.services import event_attendees_notify, event_update
from groups.models import PartyStaff
from outbox.models import OutboxEmail
from outbox.services import outbox_deliver
from tests.clashes.clash_support import at, make_event, two_sides
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    pro_eu.party = PartyFactory(name="Green Party", short_name="GRN")
    pro_eu.save(update_fields=["party"])
    seat = ConstituencyFactory(name="Bristol West")
    a = make_event(branch, start=at(0, 10), constituency=seat, title="Lib Dem street stall")
    b = make_event(pro_eu, start=at(0, 11), constituency=seat, title="EU flag rally")
    services.event_clashes_check(event_id=b.pk)
    going = UserFactory(name="Gia Going", email="gia@example.net")
    Rsvp.objects.create(event=b, user=going, answer="going")
    second_pro_eu_org = UserFactory(name="Pia Second", email="pia@example.net")
    MembershipFactory(user=second_pro_eu_org, group=pro_eu, role="organiser")
    return {
        "clash": Clash.objects.get(),
        "a": a,
        "b": b,
        "branch": branch,
        "pro_eu": pro_eu,
        "branch_org": branch_org,
        "pro_eu_org": pro_eu_org,
        "pro_eu_org2": second_pro_eu_org,
        "going": going,
    }


def propose(client, scene, *, user=None, keep=None):
    client.force_login(user or scene["branch_org"])
    return client.post(
        reverse("clashes:propose", kwargs={"pk": scene["clash"].pk}),
        {"propose-keep": (keep or scene["a"]).pk},
    )


def proposal_url(name, proposal):
    return reverse(f"clashes:{name}", kwargs={"pk": proposal.pk})


def unchanged(scene):
    a = Event.objects.get(pk=scene["a"].pk)
    b = Event.objects.get(pk=scene["b"].pk)
    return (
        a.status == b.status == EventStatus.SCHEDULED
        and not a.co_organisers.exists()
        and not b.co_organisers.exists()
        and Clash.objects.get().status == ClashStatus.OPEN
    )


# --- Proposing ---------------------------------------------------------------------------


def test_proposing_changes_nothing_and_emails_the_other_sides_organisers_once(
    client, scene, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = propose(client, scene)
    proposal = JointEventProposal.objects.get()
    assert response.status_code == 302 and response.url == proposal.get_absolute_url()
    assert proposal.responding_event == scene["b"] and proposal.proposed_by == scene["branch_org"]
    assert unchanged(scene)
    outbox_deliver()
    recipients = sorted(to for message in mail.outbox for to in message.to)
    assert recipients == sorted([scene["pro_eu_org"].email, scene["pro_eu_org2"].email])
    message = mail.outbox[0]
    assert "proposes a joint event: Lib Dem street stall" in message.subject
    assert f"/events/clashes/proposals/{proposal.pk}/" in message.body
    assert "List-Unsubscribe" in message.extra_headers
    # The same email is never written twice (the key names proposal and recipient).
    assert OutboxEmail.objects.count() == 2
    outbox_deliver()
    assert len(mail.outbox) == 2


def test_a_second_proposal_while_one_waits_is_refused(client, scene):
    propose(client, scene)
    response = propose(client, scene, user=scene["pro_eu_org"], keep=scene["b"])
    assert response.status_code == 400 or "already proposed" in response.content.decode()
    assert JointEventProposal.objects.count() == 1


@pytest.mark.parametrize("who", ["stranger", "member", "third_org", "staff_branch", "staff_green"])
def test_people_who_organise_neither_side_cannot_propose(client, scene, who):
    actors = _actors(scene)
    response = propose(client, scene, user=actors[who])
    assert response.status_code == 403
    assert not JointEventProposal.objects.exists() and unchanged(scene)


def test_anonymous_cannot_propose(client, scene):
    response = client.post(
        reverse("clashes:propose", kwargs={"pk": scene["clash"].pk}),
        {"propose-keep": scene["a"].pk},
    )
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not JointEventProposal.objects.exists()


def test_the_clash_page_offers_a_proposal_to_one_side_and_hides_a_private_title(client, scene):
    Event.objects.filter(pk=scene["b"].pk).update(visibility="group")
    client.force_login(scene["branch_org"])
    html = client.get(scene["clash"].get_absolute_url()).content.decode()
    assert reverse("clashes:propose", kwargs={"pk": scene["clash"].pk}) in html
    assert "EU flag rally" not in html  # a members-only event's title never reaches them


# --- Answering: the "no" for every actor ---------------------------------------------------


def _actors(scene):
    staff_branch = PartyStaff.objects.create(user=UserFactory(), party=scene["branch"].party)
    staff_green = PartyStaff.objects.create(user=UserFactory(), party=scene["pro_eu"].party)
    branch_org2 = UserFactory(name="Bo Second")
    MembershipFactory(user=branch_org2, group=scene["branch"], role="organiser")
    return {
        "stranger": UserFactory(),
        "member": MembershipFactory(group=scene["pro_eu"]).user,
        "third_org": GroupFactory(organiser=UserFactory()).memberships.get().user,
        "staff_branch": staff_branch.user,
        "staff_green": staff_green.user,
        "proposer": scene["branch_org"],
        "proposing_side": branch_org2,
    }


@pytest.fixture
def proposal(client, scene):
    propose(client, scene)
    client.logout()
    return JointEventProposal.objects.get()


def test_anonymous_cannot_see_or_answer(client, scene, proposal):
    for name in ("proposal", "proposal_accept", "proposal_decline"):
        method = client.get if name == "proposal" else client.post
        response = method(proposal_url(name, proposal))
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert unchanged(scene)


@pytest.mark.parametrize(
    "who",
    [
        "stranger",
        "member",
        "third_org",
        "staff_branch",
        "staff_green",
        "proposer",
        "proposing_side",
    ],
)
def test_nobody_but_the_other_sides_organisers_can_accept_or_decline(client, scene, proposal, who):
    client.force_login(_actors(scene)[who])
    for name in ("proposal_accept", "proposal_decline"):
        response = client.post(proposal_url(name, proposal))
        assert response.status_code in {403, 404}, (who, name)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING and unchanged(scene)


@pytest.mark.parametrize("who", ["stranger", "member", "third_org", "staff_branch", "staff_green"])
def test_the_proposal_page_is_for_the_two_sides_organisers_only(client, scene, proposal, who):
    client.force_login(_actors(scene)[who])
    assert client.get(proposal_url("proposal", proposal)).status_code == 403


def test_the_proposing_side_sees_the_proposal_without_answer_buttons(client, scene, proposal):
    client.force_login(scene["branch_org"])
    html = client.get(proposal_url("proposal", proposal)).content.decode()
    assert "Waiting for an organiser of" in html
    assert proposal_url("proposal_accept", proposal) not in html
    client.force_login(scene["pro_eu_org"])
    html = client.get(proposal_url("proposal", proposal)).content.decode()
    assert proposal_url("proposal_accept", proposal) in html


def test_the_services_refuse_too(scene, proposal):
    from django.core.exceptions import PermissionDenied

    for who in ("proposer", "staff_branch", "third_org"):
        with pytest.raises(PermissionDenied):
            services.joint_event_accept(proposal=proposal, user=_actors(scene)[who])
    assert unchanged(scene)


# --- Accepting ---------------------------------------------------------------------------


def test_acceptance_makes_one_joint_event_and_tells_the_people_going(
    client, scene, proposal, django_capture_on_commit_callbacks
):
    client.force_login(scene["pro_eu_org"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(proposal_url("proposal_accept", proposal))
    assert response.status_code == 302 and response.url == scene["a"].get_absolute_url()
    a, b = (Event.objects.get(pk=scene[k].pk) for k in ("a", "b"))
    assert list(a.co_organisers.all()) == [scene["pro_eu"]]
    assert b.status == EventStatus.CANCELLED
    assert Clash.objects.get().status == ClashStatus.MERGED
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.decided_by == scene["pro_eu_org"]
    event_attendees_notify(event_id=b.pk)  # the existing cancellation email
    outbox_deliver()  # the emails were written to the outbox
    assert any(scene["going"].email in m.to and "cancel" in m.subject.lower() for m in mail.outbox)
    outbox_deliver()
    assert any(scene["branch_org"].email in m.to and "accepted" in m.subject for m in mail.outbox)


def test_a_second_acceptance_is_refused(client, scene, proposal):
    client.force_login(scene["pro_eu_org"])
    client.post(proposal_url("proposal_accept", proposal))
    client.force_login(scene["pro_eu_org2"])
    response = client.post(proposal_url("proposal_accept", proposal))
    assert response.status_code == 400
    assert "already answered" in response.content.decode()
    assert Event.objects.filter(status=EventStatus.CANCELLED).count() == 1


def test_accept_after_decline_is_refused(client, scene, proposal):
    client.force_login(scene["pro_eu_org"])
    assert client.post(proposal_url("proposal_decline", proposal)).status_code == 302
    client.force_login(scene["pro_eu_org2"])
    assert client.post(proposal_url("proposal_accept", proposal)).status_code == 400
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DECLINED and unchanged(scene)
    outbox_deliver()
    assert any(scene["branch_org"].email in m.to and "declined" in m.subject for m in mail.outbox)


@pytest.mark.parametrize("changed", ["a", "b"])
def test_accept_after_either_event_changed_is_refused_and_lapses(client, scene, proposal, changed):
    event_update(event=scene[changed], author=None, title="Moved on")
    client.force_login(scene["pro_eu_org"])
    response = client.post(proposal_url("proposal_accept", proposal))
    assert response.status_code == 400
    assert "has changed" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.LAPSED
    assert Event.objects.filter(status=EventStatus.CANCELLED).count() == 0


def test_accept_after_the_clash_was_dismissed_is_refused(client, scene, proposal):
    services.clash_dismiss(clash=scene["clash"], user=scene["branch_org"])
    client.force_login(scene["pro_eu_org"])
    assert client.post(proposal_url("proposal_accept", proposal)).status_code == 400
    assert Event.objects.filter(status=EventStatus.CANCELLED).count() == 0


def test_the_other_side_may_propose_keeping_their_own_event(client, scene):
    propose(client, scene, user=scene["pro_eu_org"], keep=scene["b"])
    proposal = JointEventProposal.objects.get()
    assert proposal.responding_event == scene["a"]
    client.force_login(scene["branch_org"])
    assert client.post(proposal_url("proposal_accept", proposal)).status_code == 302
    assert Event.objects.get(pk=scene["a"].pk).status == EventStatus.CANCELLED
    assert list(Event.objects.get(pk=scene["b"].pk).co_organisers.all()) == [scene["branch"]]
