"""Vote swaps: registration, the matcher's rules, confirmation, expiry, cancellation."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from outbox.services import outbox_deliver
from seats import services
from seats.models import SwapStatus, VoteSwap, VoteSwapRegistration, VoteSwapState
from tests.factories import UserFactory
from tests.seats.factories import ElectionFactory, contest_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats(parties):
    """ld_seats: LD best placed (Con held); lab_seats: Lab best placed (Con held)."""
    election = ElectionFactory(slug="test2029")
    con, lab, ld = parties["Con"], parties["Lab"], parties["LD"]

    def seat(name, best, other, score_gap=0):
        return contest_create(
            election=election,
            votes={con: 20000 + score_gap, best: 15000, other: 5000},
            name=name,
        ).constituency

    return {
        "ld": [seat("LD One", ld, lab), seat("LD Two", ld, lab, score_gap=3000)],
        "lab": [seat("Lab One", lab, ld), seat("Lab Two", lab, ld, score_gap=3000)],
    }


def register(parties, seat, wants, user=None, at=None):
    registration = services.vote_swap_register(
        user=user or UserFactory(), preferred_party=parties[wants], constituency=seat
    )
    if at is not None:
        VoteSwapRegistration.objects.filter(pk=registration.pk).update(created_at=at)
        registration.refresh_from_db()
    return registration


T0 = timezone.now() - timedelta(days=1)


def test_registration_needs_a_verified_email(parties, seats):
    with pytest.raises(PermissionDenied):
        register(parties, seats["ld"][0], "Lab", user=UserFactory(verified=False))


def test_registration_records_the_local_alliance_party(parties, seats):
    registration = register(parties, seats["ld"][0], "Lab")
    assert registration.local_party == parties["LD"]
    assert registration.status == SwapStatus.WAITING


def test_a_pair_is_matched_and_both_must_confirm(parties, seats, client):
    a = register(parties, seats["ld"][0], "Lab")
    b = register(parties, seats["lab"][0], "LD")
    (swap,) = services.vote_swaps_match()
    assert {swap.a_id, swap.b_id} == {a.pk, b.pk}
    a.refresh_from_db()
    assert a.status == SwapStatus.MATCHED
    client.force_login(a.user)
    body = client.get(reverse("seats:swap")).content.decode()
    assert b.user.email not in body  # not before both confirm
    client.post(reverse("seats:swap_confirm", args=[swap.pk]))
    swap.refresh_from_db()
    assert swap.state == VoteSwapState.PROPOSED
    assert b.user.email not in client.get(reverse("seats:swap")).content.decode()
    services.vote_swap_confirm(user=b.user, swap_id=swap.pk)
    swap.refresh_from_db()
    assert swap.state == VoteSwapState.CONFIRMED
    assert b.user.email in client.get(reverse("seats:swap")).content.decode()
    # A stranger cannot confirm someone else's swap.
    with pytest.raises(PermissionDenied):
        services.vote_swap_confirm(user=UserFactory(), swap_id=swap.pk)


def test_no_self_swap(parties, seats):
    only = register(parties, seats["ld"][0], "Lab")
    assert services.vote_swaps_match() == []
    with pytest.raises(IntegrityError), transaction.atomic():
        VoteSwap.objects.create(a=only, b=only, expires_at=timezone.now())


def test_no_swap_within_one_constituency(parties, seats):
    seat = seats["ld"][0]
    a = register(parties, seat, "Lab")
    # Someone in the same seat who wants LD where Lab is best placed cannot exist there,
    # so force the mirror image onto the same seat to prove the matcher checks it.
    b = register(parties, seats["lab"][0], "LD")
    VoteSwapRegistration.objects.filter(pk=b.pk).update(constituency=seat)
    assert services.vote_swaps_match() == []
    a.refresh_from_db()
    assert services.vote_swap_queue_explanation(a)["reason"] == "partners_same_seat"


def test_one_active_swap_each(parties, seats):
    a = register(parties, seats["ld"][0], "Lab", at=T0)
    register(parties, seats["lab"][0], "LD", at=T0 + timedelta(minutes=1))
    late = register(parties, seats["lab"][1], "LD", at=T0 + timedelta(minutes=2))
    assert len(services.vote_swaps_match()) == 1
    assert services.vote_swaps_match() == []  # running again changes nothing
    assert VoteSwap.objects.filter(state="proposed").count() == 1
    late.refresh_from_db()
    assert late.status == SwapStatus.WAITING
    swap = VoteSwap.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        VoteSwap.objects.create(a=a, b=late, expires_at=timezone.now())
    assert swap.a_id == a.pk


def test_fairness_earliest_registrations_first(parties, seats):
    second = register(parties, seats["ld"][1], "Lab", at=T0 + timedelta(minutes=2))
    first = register(parties, seats["ld"][0], "Lab", at=T0 + timedelta(minutes=1))
    partner = register(parties, seats["lab"][0], "LD", at=T0 + timedelta(minutes=3))
    (swap,) = services.vote_swaps_match()
    assert {swap.a_id, swap.b_id} == {first.pk, partner.pk}
    second.refresh_from_db()
    info = services.vote_swap_queue_explanation(second)
    assert info["reason"] == "no_partner" and info["position"] == 1


def test_fairness_ties_go_to_the_better_target_seat(parties, seats):
    # Two partners registered at the same moment: the seat with the higher score wins.
    a = register(parties, seats["ld"][0], "Lab", at=T0)
    weaker = register(parties, seats["lab"][1], "LD", at=T0 + timedelta(minutes=1))
    stronger = register(parties, seats["lab"][0], "LD", at=T0 + timedelta(minutes=1))
    assert stronger.seat_score > weaker.seat_score
    (swap,) = services.vote_swaps_match()
    assert {swap.a_id, swap.b_id} == {a.pk, stronger.pk}


def test_unconfirmed_swaps_expire(parties, seats):
    a = register(parties, seats["ld"][0], "Lab")
    b = register(parties, seats["lab"][0], "LD")
    (swap,) = services.vote_swaps_match()
    services.vote_swap_confirm(user=a.user, swap_id=swap.pk)
    assert services.vote_swaps_expire(now=timezone.now() + timedelta(hours=71)) == 0
    assert services.vote_swaps_expire(now=timezone.now() + timedelta(hours=73)) == 1
    swap.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    assert swap.state == VoteSwapState.EXPIRED
    assert a.status == SwapStatus.WAITING  # confirmed: keeps their place
    assert b.status == SwapStatus.LAPSED
    assert services.vote_swaps_expire(now=timezone.now() + timedelta(hours=73)) == 0


def test_cancel_puts_the_partner_back_in_the_queue(parties, seats, client):
    a = register(parties, seats["ld"][0], "Lab")
    b = register(parties, seats["lab"][0], "LD")
    (swap,) = services.vote_swaps_match()
    client.force_login(a.user)
    client.post(reverse("seats:swap_cancel"))
    swap.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    assert swap.state == VoteSwapState.CANCELLED
    assert a.status == SwapStatus.WITHDRAWN and b.status == SwapStatus.WAITING
    with pytest.raises(ValidationError):
        services.vote_swap_confirm(user=b.user, swap_id=swap.pk)


def test_no_match_explains_why_and_the_queue(parties, seats, client):
    a = register(parties, seats["ld"][0], "Lab")
    register(parties, seats["ld"][1], "Lab")
    client.force_login(a.user)
    body = client.get(reverse("seats:swap")).content.decode()
    assert "nobody is waiting who wants Liberal Democrats where Labour is backed" in body
    assert "number 1 of 2 in the queue" in body
    already = register(parties, seats["ld"][0], "LD")
    assert services.vote_swap_queue_explanation(already)["reason"] == "already_backed"


def test_swap_page_refuses_anonymous_posts_and_keeps_bad_input(client, parties, seats, user):
    assert client.post(reverse("seats:swap"), {}).status_code == 302
    assert client.post(reverse("seats:swap_cancel")).status_code == 302
    client.force_login(user)
    response = client.post(
        reverse("seats:swap"), {"preferred_party": parties["Lab"].pk, "postcode": "not a code"}
    )
    assert response.status_code == 200
    assert "Enter a UK postcode" in response.content.decode()
    assert "not a code" in response.content.decode()


def test_postcode_finds_the_constituency_via_the_lookup_service(
    parties, seats, postcodes_server, user
):
    seat = seats["ld"][0]
    seat.boundary_set = "2024"
    seat.ons_code = "E14001099"
    seat.save()
    postcodes_server.answers["SW1A1AA"] = "E14001099"

    registration = services.vote_swap_register(
        user=user, preferred_party=parties["Lab"], postcode="sw1a 1aa"
    )

    assert registration.constituency == seat
    assert registration.postcode == "SW1A 1AA"


@pytest.mark.worker
def test_the_worker_matches_after_registration(celery_worker_factory, parties, seats):
    celery_worker_factory()
    a = register(parties, seats["ld"][0], "Lab")
    b = register(parties, seats["lab"][0], "LD")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not VoteSwap.objects.exists():
        time.sleep(0.2)
    swap = VoteSwap.objects.get()
    assert {swap.a_id, swap.b_id} == {a.pk, b.pk}


def test_both_are_emailed_once_about_a_match_without_contact_details(
    parties, seats, mailoutbox, django_capture_on_commit_callbacks
):
    a = register(parties, seats["ld"][0], "Lab")
    b = register(parties, seats["lab"][0], "LD")
    with django_capture_on_commit_callbacks() as callbacks:
        (swap,) = services.vote_swaps_match()
    assert len(callbacks) == 1  # the notification is queued only after the match commits
    assert services.vote_swap_notify(swap_id=swap.pk) is True
    outbox_deliver()  # the emails were written to the outbox with notified_at
    assert sorted(m.to[0] for m in mailoutbox) == sorted([a.user.email, b.user.email])
    to_a = next(m for m in mailoutbox if m.to == [a.user.email])
    assert "You would vote Liberal Democrats in LD One" in to_a.body
    to_b = next(m for m in mailoutbox if m.to == [b.user.email])
    assert b.user.email not in to_a.body and a.user.email not in to_b.body
    assert services.vote_swap_notify(swap_id=swap.pk) is False  # idempotent
    outbox_deliver()
    assert len(mailoutbox) == 2
