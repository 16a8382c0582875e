"""Each access function of priorities/permissions.py: the "no" (outsider, participant of
another round, organiser of another group, anonymous) and the "yes"."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from groups.models import PartyStaff
from priorities import permissions, services
from priorities.permissions import SESSION_KEY
from tests.factories import GroupFactory, UserFactory
from tests.priorities.factories import join, open_round, parties

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    organiser, other_organiser = UserFactory(), UserFactory()
    round_ = open_round(group=GroupFactory(organiser=organiser), organiser=organiser)
    other_round = open_round(
        group=GroupFactory(organiser=other_organiser), organiser=other_organiser
    )
    insider = join(round_, "Insider")
    elsewhere = join(other_round, "Elsewhere")
    return {
        "round": round_,
        "other_round": other_round,
        "organiser": organiser,
        "other_organiser": other_organiser,
        "insider": insider,
        "elsewhere": elsewhere,
        "outsider": UserFactory(),
    }


def _request(user=None, participant=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    if participant is not None:
        request.session[SESSION_KEY] = {str(participant.round_id): participant.pk}
    return request


def test_round_for_organiser(scene):
    pk = scene["round"].pk
    assert permissions.round_get_for_organiser(user=scene["organiser"], pk=pk) == scene["round"]
    for who in ("outsider", "other_organiser"):
        with pytest.raises(PermissionDenied):
            permissions.round_get_for_organiser(user=scene[who], pk=pk)
    with pytest.raises(PermissionDenied):
        permissions.round_get_for_organiser(user=AnonymousUser(), pk=pk)
    with pytest.raises(Http404):
        permissions.round_get_for_organiser(user=scene["organiser"], pk=999999)


def test_round_for_participant(scene):
    pk = scene["round"].pk
    round_, participant, is_organiser = permissions.round_get_for_participant(
        request=_request(participant=scene["insider"]), pk=pk
    )
    assert participant == scene["insider"] and not is_organiser
    assert permissions.round_get_for_participant(request=_request(scene["organiser"]), pk=pk)[2]
    for request in (
        _request(),  # anonymous, never joined
        _request(scene["outsider"]),
        _request(scene["other_organiser"]),
        _request(participant=scene["elsewhere"]),  # joined another round
    ):
        with pytest.raises(Http404):
            permissions.round_get_for_participant(request=request, pk=pk)


def test_a_session_cannot_claim_another_rounds_participant(scene):
    """A forged session entry pointing this round at another round's participant is no one."""
    request = _request()
    request.session[SESSION_KEY] = {str(scene["round"].pk): scene["elsewhere"].pk}
    with pytest.raises(Http404):
        permissions.participant_get_for_round(request=request, pk=scene["round"].pk)


def test_a_session_cannot_claim_a_signed_in_participant(scene):
    member = UserFactory()
    theirs = join(scene["round"], "Member", user=member)
    request = _request()
    request.session[SESSION_KEY] = {str(scene["round"].pk): theirs.pk}
    with pytest.raises(Http404):
        permissions.participant_get_for_round(request=request, pk=scene["round"].pk)
    assert (
        permissions.participant_get_for_round(request=_request(member), pk=scene["round"].pk)
        == theirs
    )


def test_round_for_clustering(scene):
    pk = scene["round"].pk
    assert permissions.round_get_for_clustering(request=_request(scene["organiser"]), pk=pk)[1]
    with pytest.raises(PermissionDenied):
        permissions.round_get_for_clustering(request=_request(participant=scene["insider"]), pk=pk)
    for request in (_request(scene["other_organiser"]), _request(participant=scene["elsewhere"])):
        with pytest.raises(Http404):
            permissions.round_get_for_clustering(request=request, pk=pk)
    scene["round"].participants_may_cluster = True
    scene["round"].save()
    assert not permissions.round_get_for_clustering(
        request=_request(participant=scene["insider"]), pk=pk
    )[1]


def test_round_results(scene):
    pk = scene["round"].pk
    for request in (
        _request(),
        _request(scene["outsider"]),
        _request(participant=scene["elsewhere"]),
    ):
        with pytest.raises(Http404):
            permissions.round_get_for_results(request=request, pk=pk)
    services.round_close(round_=scene["round"])
    assert permissions.round_get_for_results(request=_request(), pk=pk) == scene["round"]


def test_note_of_another_round_is_404(scene):
    theirs = services.note_add(participant=scene["elsewhere"], text="Theirs")
    with pytest.raises(Http404):
        permissions.note_get_for_organiser(
            user=scene["organiser"], round_=scene["round"], pk=theirs.pk
        )
    with pytest.raises(Http404):
        permissions.note_get_for_organiser(user=scene["organiser"], round_=scene["round"], pk="x")
    mine = services.note_add(participant=scene["insider"], text="Mine")
    assert (
        permissions.note_get_for_organiser(
            user=scene["organiser"], round_=scene["round"], pk=mine.pk
        )
        == mine
    )


def test_endorsing_for_groups_and_parties(scene):
    group = scene["round"].group
    assert permissions.group_get_for_endorsing(user=scene["organiser"], slug=group.slug) == group
    for who in ("outsider", "other_organiser"):
        with pytest.raises(PermissionDenied):
            permissions.group_get_for_endorsing(user=scene[who], slug=group.slug)
    with pytest.raises(Http404):
        permissions.group_get_for_endorsing(user=scene["organiser"], slug="no-such-group")
    party = parties()["LD"]
    other_party = parties()["Lab"]
    staff = UserFactory()
    PartyStaff.objects.create(user=staff, party=party)
    assert permissions.party_get_for_endorsing(user=staff, party_id=party.pk) == party
    with pytest.raises(PermissionDenied):
        permissions.party_get_for_endorsing(user=staff, party_id=other_party.pk)
    for who in ("organiser", "outsider"):
        with pytest.raises(PermissionDenied):
            permissions.party_get_for_endorsing(user=scene[who], party_id=party.pk)
    with pytest.raises(PermissionDenied):
        permissions.party_get_for_endorsing(user=AnonymousUser(), party_id=party.pk)
    with pytest.raises(Http404):
        permissions.party_get_for_endorsing(user=staff, party_id="nope")
