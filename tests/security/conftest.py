"""A small world with two of everything, so that every test can ask "can someone from group A
touch group B's things?" Group B owns the targets; group A's organiser is the neighbour who
guesses ids."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from clashes import services as clash_services
from clashes.models import Clash, JointEventProposal
from events.models import CalendarFeed, Event, Rsvp
from groups.models import Group, GroupLink, Membership, MembershipRequest, OrganiserInvitation
from groups.parties import parties_seed
from petitions.models import Petition, PetitionUpdate, Signature
from seats import services as seat_services
from seats.models import (
    AdviceAlert,
    Agreement,
    AgreementAcceptance,
    Election,
    VoteSwap,
    VoteSwapRegistration,
)
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyStaffFactory,
    UserFactory,
)
from tests.petitions.conftest import image_bytes
from tests.petitions.factories import PetitionFactory, SignatureFactory
from tests.priorities.hostile import priorities_snapshot, priorities_world
from tests.seats.factories import ElectionFactory


@pytest.fixture(autouse=True)
def _confirmations_at_once(settings):
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0


@dataclass
class World:
    group_a: object
    group_b: object
    organiser_a: object
    organiser_b: object
    member_a: object
    member_b: object
    outsider: object
    event_b: object
    event_b2: object
    clash_b: object
    feed_b: object
    petition_b: object
    draft_b: object
    staff_p1: object
    staff_p3: object
    agreement: object
    swap: object
    swapper_a: object
    swapper_b: object
    site_staff: object
    invitee_b: object
    invitation_b: object
    join_request_b: object
    link_b: object
    # Group C's organiser proposed making their event and event_b one joint event: B answers.
    proposal_b: object = None


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    group_a = GroupFactory(name="Alpha for Europe", slug="alpha")
    group_b = GroupFactory(name="Beta Progressive Alliance", slug="beta")
    organiser_a, organiser_b = UserFactory(name="Ann Alpha"), UserFactory(name="Bob Beta")
    member_a, member_b = UserFactory(name="Mia Member"), UserFactory(name="Max Member")
    MembershipFactory(user=organiser_a, group=group_a, role="organiser")
    MembershipFactory(user=organiser_b, group=group_b, role="organiser")
    MembershipFactory(user=member_a, group=group_a)
    MembershipFactory(user=member_b, group=group_b)
    outsider = UserFactory(name="Nia Nobody")

    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    event_b = EventFactory(group=group_b, title="Beta stall", starts_at=start, capacity=10)
    event_b2 = EventFactory(
        group=group_b, title="Beta canvass", starts_at=start + timedelta(minutes=30)
    )
    RsvpFactory(event=event_b, user=member_b)
    clash_b = Clash.objects.create(
        event_a=min(event_b, event_b2, key=lambda e: e.pk),
        event_b=max(event_b, event_b2, key=lambda e: e.pk),
    )
    feed_b = CalendarFeed.objects.create(
        group=group_b, name="Beta's Google calendar", url="http://127.0.0.1:9/beta.ics"
    )
    petition_b = PetitionFactory(group=group_b, title="Beta's petition", slug="beta-petition")
    SignatureFactory(petition=petition_b, confirmed=True, consent_to_contact=True)
    draft_b = PetitionFactory(group=group_b, title="Beta draft", slug="beta-draft", status="draft")
    draft_b.image.save("draft.png", ContentFile(image_bytes("PNG")))  # only its organisers see it

    # Pacts are only between parties of the progressive bloc (seats/party_codes.py).
    seeded = {party.short_name: party for party in parties_seed()}
    p1, p2, p3 = seeded["Lab"], seeded["LD"], seeded["Green"]
    staff_p1 = PartyStaffFactory(party=p1).user
    staff_p3 = PartyStaffFactory(party=p3).user
    election = ElectionFactory(slug="hostile2029", boundary_set="sample")
    seat = ConstituencyFactory(name="Marginalton")
    agreement = seat_services.agreement_propose(
        user=staff_p1,
        election=election,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=p1,
        stands_aside=[p2],
        terms="P2 stands aside.",
    )

    swapper_a, swapper_b = UserFactory(name="Sam Swapper"), UserFactory(name="Tess Swapper")
    reg_a = VoteSwapRegistration.objects.create(
        user=swapper_a, preferred_party=p1, local_party=p2, constituency=seat
    )
    reg_b = VoteSwapRegistration.objects.create(
        user=swapper_b,
        preferred_party=p2,
        local_party=p1,
        constituency=ConstituencyFactory(name="Elsewhere"),
    )
    swap = VoteSwap.objects.create(a=reg_a, b=reg_b, expires_at=timezone.now() + timedelta(days=2))
    for registration in (reg_a, reg_b):
        registration.status = "matched"
        registration.save(update_fields=["status"])
    site_staff = UserFactory(name="Stella Staff", is_staff=True)
    # Group B's organiser tools have something to act on: an invitation waiting for its
    # invitee, a request to join, a request from group A to link up.
    invitee_b = UserFactory(name="Ivo Invitee", email="invitee-b@example.org")
    invitation_b = OrganiserInvitation.objects.create(
        group=group_b, email=invitee_b.email, invited_by=organiser_b
    )
    join_request_b = MembershipRequest.objects.create(
        group=group_b, user=UserFactory(name="Jo Joiner")
    )
    link_b = GroupLink.objects.create(from_group=group_a, to_group=group_b)
    organiser_c = UserFactory(name="Cas Gamma")
    event_c = EventFactory(
        group=GroupFactory(name="Gamma Group", slug="gamma", organiser=organiser_c),
        title="Gamma stall",
        starts_at=start,
    )
    proposal_b = clash_services.joint_event_propose(
        clash=Clash.objects.create(
            event_a=min(event_b, event_c, key=lambda e: e.pk),
            event_b=max(event_b, event_c, key=lambda e: e.pk),
        ),
        user=organiser_c,
        keep_event_id=event_c.pk,
    )
    world = World(
        group_a=group_a,
        group_b=group_b,
        organiser_a=organiser_a,
        organiser_b=organiser_b,
        member_a=member_a,
        member_b=member_b,
        outsider=outsider,
        event_b=event_b,
        event_b2=event_b2,
        clash_b=clash_b,
        feed_b=feed_b,
        petition_b=petition_b,
        draft_b=draft_b,
        staff_p1=staff_p1,
        staff_p3=staff_p3,
        agreement=agreement,
        swap=swap,
        swapper_a=swapper_a,
        swapper_b=swapper_b,
        site_staff=site_staff,
        invitee_b=invitee_b,
        invitation_b=invitation_b,
        join_request_b=join_request_b,
        link_b=link_b,
        proposal_b=proposal_b,
    )
    world.priorities = priorities_world(world)  # group B's rounds and statement
    return world


def db_snapshot() -> dict:
    """Everything a refused request must not have changed (rows and their mutable fields)."""
    return {
        "events": list(
            Event.objects.order_by("pk").values_list(
                "pk", "title", "status", "starts_at", "ends_at", "sequence", "created_by"
            )
        ),
        "rsvps": list(Rsvp.objects.order_by("pk").values_list("pk", "answer")),
        "feeds": list(CalendarFeed.objects.order_by("pk").values_list("pk", "name", "url")),
        "clashes": list(Clash.objects.order_by("pk").values_list("pk", "status", "decided_by")),
        "joint_proposals": list(
            JointEventProposal.objects.order_by("pk").values_list("pk", "status", "decided_by")
        ),
        "petitions": list(
            Petition.objects.order_by("pk").values_list(
                "pk", "title", "body", "status", "delivered_at", "closed_at"
            )
        ),
        "updates": list(PetitionUpdate.objects.order_by("pk").values_list("pk")),
        "signatures": list(
            Signature.objects.order_by("pk").values_list("pk", "status", "email", "name")
        ),
        "agreements": list(
            Agreement.objects.order_by("pk").values_list("pk", "status", "terms", "red_lines")
        ),
        "acceptances": list(AgreementAcceptance.objects.order_by("pk").values_list("pk")),
        "swaps": list(
            VoteSwap.objects.order_by("pk").values_list(
                "pk", "state", "a_confirmed_at", "b_confirmed_at"
            )
        ),
        "registrations": list(
            VoteSwapRegistration.objects.order_by("pk").values_list("pk", "status")
        ),
        "groups": list(
            Group.objects.order_by("pk").values_list("pk", "name", "join_policy", "is_verified")
        ),
        "memberships": list(
            Membership.objects.order_by("pk").values_list("pk", "user", "group", "role")
        ),
        "join_requests": list(MembershipRequest.objects.order_by("pk").values_list("pk")),
        "invitations": list(
            OrganiserInvitation.objects.order_by("pk").values_list("pk", "status", "accepted_by")
        ),
        "links": list(GroupLink.objects.order_by("pk").values_list("pk", "status")),
        **priorities_snapshot(),
        "advice_alerts": list(AdviceAlert.objects.order_by("pk").values_list("pk", "confirmed_at")),
        "elections": list(Election.objects.order_by("pk").values_list("pk", "date")),
    }


# --- What the per-feature access files share: their placeholders, a request from a row of
# the URL table, and the refusals every organiser-only row must show ---------------------------

# Everyone signed in who is not one of group B's organisers: A's organiser and member (the
# neighbours guessing ids), B's plain member, an outsider, and another party's staff.
NOT_B_ORGANISERS = ["organiser_a", "member_a", "member_b", "outsider", "staff_p1"]


def placeholders_add(monkeypatch, extra: dict) -> dict:
    """Make a feature's placeholders (what its world helper returned) fill the URL table."""
    from tests.security import url_table

    original = url_table.placeholders
    monkeypatch.setattr(url_table, "placeholders", lambda w: {**original(w), **extra})
    return extra


def row_request(client, world, method: str, path: str, data):
    from tests.security.url_table import fill

    url, payload = fill(world, path, data)
    return getattr(client, method)(url, payload or {})


def assert_only_b_organisers_get_through(client, world, row, snapshot, *, hidden=()) -> None:
    """Signed out: sent to sign in; everyone in NOT_B_ORGANISERS: 403 or 404, none of the
    `hidden` texts on the page; and nothing in `snapshot()` changes."""
    _name, method, path, data = row
    before = snapshot()
    response = row_request(client, world, method, path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    for who in NOT_B_ORGANISERS:
        client.force_login(getattr(world, who))
        response = row_request(client, world, method, path, data)
        assert response.status_code in {403, 404}, (who, response.status_code)
        text = response.content.decode()
        assert not [secret for secret in hidden if secret in text], who
        assert snapshot() == before, who


def assert_posts_need_the_csrf_token(world, rows, snapshot) -> None:
    """Group B's organiser, without the CSRF token: every POST row is refused, unchanged."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.organiser_b)
    before = snapshot()
    for _name, method, path, data in rows:
        if method == "post":
            assert row_request(client, world, method, path, data).status_code == 403, path
    assert snapshot() == before


def assert_b_organiser_gets_the_page(client, world, row) -> None:
    _name, method, path, data = row
    client.force_login(world.organiser_b)
    assert row_request(client, world, method, path, data).status_code == 200
