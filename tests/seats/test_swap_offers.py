"""Choosing a vote-swap partner: up to five offers, the most winnable seats first, each with
its benefit in one sentence; choosing one proposes the swap (your side confirmed) and emails
the partner; when the partner confirms, you are emailed; each email exactly once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from outbox.models import OutboxEmail
from seats import services
from seats.models import SwapStatus, VoteSwap, VoteSwapRegistration, VoteSwapState
from tests.factories import UserFactory
from tests.seats.factories import ElectionFactory, contest_create
from tests.security.url_table import SWAP_CHOICE_URLS

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats(parties):
    """One Lib Dem seat where a Labour supporter lives; seven Labour seats, closer and closer."""
    election = ElectionFactory(slug="test2029")
    con, lab, ld = parties["Con"], parties["Lab"], parties["LD"]
    home = contest_create(
        election=election, votes={con: 20000, ld: 18000, lab: 5000}, name="Libdemford"
    ).constituency
    labour = [
        contest_create(
            election=election,
            votes={con: 20000 + 1000 * i, lab: 15000, ld: 4000},
            name=f"Labourton {i}",
        ).constituency
        for i in range(7)
    ]
    return home, labour


def _register(parties, seat, wants, at=None):
    registration = services.vote_swap_register(
        user=UserFactory(), preferred_party=parties[wants], constituency=seat
    )
    if at is not None:
        VoteSwapRegistration.objects.filter(pk=registration.pk).update(created_at=at)
    return registration


@pytest.fixture
def queue(parties, seats):
    """Me (wants Labour, lives in Libdemford) and seven Lib Dem supporters in Labour seats,
    registered in the reverse order of how winnable their seats are; plus people who cannot
    swap with me (same direction, same seat)."""
    home, labour = seats
    now = timezone.now()
    partners = [
        _register(parties, seat, "LD", at=now - timedelta(hours=10 - i))
        for i, seat in reversed(list(enumerate(labour)))
    ]
    _register(parties, labour[0], "Lab")  # wants what I want: no swap
    _register(parties, home, "LD")  # lives in my seat: no swap
    me = _register(parties, home, "Lab", at=now)
    VoteSwap.objects.all().delete()  # the matcher ran on registering: start from the queue
    VoteSwapRegistration.objects.update(status=SwapStatus.WAITING)
    me.refresh_from_db()
    return me, partners


def test_up_to_five_offers_the_most_winnable_seats_first(queue):
    me, partners = queue
    offers = services.vote_swap_offers(me)
    assert len(offers) == 5
    names = [offer.registration.constituency.name for offer in offers]
    assert names == [f"Labourton {i}" for i in range(5)]  # smallest Conservative lead first
    scores = [offer.registration.seat_score for offer in offers]
    assert scores == sorted(scores, reverse=True)
    first = offers[0].benefit
    assert first == (
        "Your partner votes Labour in Labourton 0, where Labour is 5,001 votes short of "
        "winning; you vote Liberal Democrats in Libdemford, where Liberal Democrats is 2,001 "
        "votes short of winning."
    )
    assert first.count(".") == 1  # one sentence


def test_no_offers_when_not_waiting_or_nothing_to_swap(queue, parties, seats):
    me, partners = queue
    home, labour = seats
    backed = _register(parties, home, "LD")  # wants the party backed at home
    assert services.vote_swap_offers(backed) == []
    VoteSwapRegistration.objects.filter(pk=me.pk).update(status=SwapStatus.WITHDRAWN)
    me.refresh_from_db()
    assert services.vote_swap_offers(me) == []


def test_choosing_proposes_the_swap_and_both_are_emailed_when_the_other_confirms(client, queue):
    me, partners = queue
    chosen = services.vote_swap_offers(me)[2].registration
    client.force_login(me.user)
    page = client.get("/seats/swap/").content.decode()
    assert "Swap with this voter" in page and "Labourton 2" in page
    response = client.post("/seats/swap/choose/", {"partner": chosen.pk})
    assert response.status_code == 302
    swap = VoteSwap.objects.get()
    assert {swap.a_id, swap.b_id} == {me.pk, chosen.pk}
    assert swap.state == VoteSwapState.PROPOSED
    mine = "a_confirmed_at" if swap.a_id == me.pk else "b_confirmed_at"
    assert getattr(swap, mine) is not None
    assert set(
        VoteSwapRegistration.objects.filter(status=SwapStatus.MATCHED).values_list("pk", flat=True)
    ) == {me.pk, chosen.pk}
    emails = OutboxEmail.objects.filter(key__startswith="swap-partner-confirmed:")
    assert [e.to_email for e in emails] == [chosen.user.email]
    assert "please confirm too" in emails.get().subject
    assert "/seats/swap/" in emails.get().body_text
    assert me.user.email not in emails.get().body_text  # no contact details yet

    services.vote_swap_confirm(user=chosen.user, swap_id=swap.pk)
    with pytest.raises(ValidationError):  # confirmed already: nothing more happens
        services.vote_swap_confirm(user=chosen.user, swap_id=swap.pk)
    swap.refresh_from_db()
    assert swap.state == VoteSwapState.CONFIRMED
    emails = OutboxEmail.objects.filter(key__startswith="swap-partner-confirmed:")
    assert sorted(e.to_email for e in emails) == sorted([chosen.user.email, me.user.email])
    to_me = emails.get(to_email=me.user.email)
    assert to_me.subject.endswith("Your vote swap is agreed")


def test_a_partner_no_longer_free_cannot_be_chosen(queue, parties, seats):
    me, partners = queue
    home, _ = seats
    other = _register(parties, seats[1][0], "Lab")
    with pytest.raises(ValidationError):  # wants what I want
        services.vote_swap_choose(user=me.user, partner_id=other.pk)
    neighbour = VoteSwapRegistration.objects.get(constituency=home, preferred_party=parties["LD"])
    with pytest.raises(ValidationError):  # same seat
        services.vote_swap_choose(user=me.user, partner_id=neighbour.pk)
    services.vote_swap_choose(user=me.user, partner_id=partners[0].pk)
    with pytest.raises(ValidationError):  # I have a swap now
        services.vote_swap_choose(user=me.user, partner_id=partners[1].pk)
    third = _register(parties, home, "Lab")
    with pytest.raises(ValidationError):  # taken
        services.vote_swap_choose(user=third.user, partner_id=partners[0].pk)
    assert VoteSwap.objects.count() == 1


def test_choosing_is_refused_to_anonymous_visitors_and_people_not_registered(client, queue):
    me, partners = queue
    ((_, method, path, data),) = SWAP_CHOICE_URLS
    payload = {k: v.format(partner=partners[0].pk) for k, v in data().items()}
    response = getattr(client, method)(path, payload)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())  # signed in, not registered
    assert getattr(client, method)(path, payload).status_code == 302
    client.post(path, {"partner": "not-a-number"})
    client.force_login(me.user)
    assert client.post(path, {"partner": "9" * 30}).status_code == 302  # no such person
    assert not VoteSwap.objects.exists()


def test_choosing_needs_this_sessions_csrf_token(queue):
    from django.test import Client

    me, partners = queue
    client = Client(enforce_csrf_checks=True)
    client.force_login(me.user)
    assert client.post("/seats/swap/choose/", {"partner": partners[0].pk}).status_code == 403
    assert not VoteSwap.objects.exists()
    assert client.get("/accounts/password/reset/").status_code == 200
    token = client.cookies["csrftoken"].value
    client.post("/seats/swap/choose/", {"partner": partners[0].pk, "csrfmiddlewaretoken": token})
    assert VoteSwap.objects.count() == 1


def test_the_swap_page_has_a_constant_query_count(
    client, queue, parties, seats, django_assert_num_queries
):
    me, partners = queue
    client.force_login(me.user)
    few = [p.pk for p in partners[:4]]  # the four least winnable seats are offered then

    def offered(pks):
        VoteSwapRegistration.objects.exclude(pk=me.pk).update(status=SwapStatus.WITHDRAWN)
        VoteSwapRegistration.objects.filter(pk__in=pks).update(status=SwapStatus.WAITING)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    offered(few[:1])
    client.get("/seats/swap/")  # every seat's advice cached from now on
    offered([p.pk for p in partners])
    client.get("/seats/swap/")
    offered(few[:1])
    with CaptureQueriesContext(connection) as one:
        assert "Swap with this voter" in client.get("/seats/swap/").content.decode()
    offered([p.pk for p in partners])
    with django_assert_num_queries(len(one)):
        assert client.get("/seats/swap/").content.decode().count("Swap with this voter") == 5
