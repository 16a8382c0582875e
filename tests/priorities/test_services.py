"""Rounds, notes, clusters and dots through the services, on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from groups.services import group_link_request
from priorities import services
from priorities.models import Cluster, Dot, Note, Participant, Round, RoundStatus
from tests.factories import ConstituencyFactory, GroupFactory, UserFactory
from tests.priorities.factories import join, open_round, parties

pytestmark = pytest.mark.django_db


def test_open_round_draws_a_code_that_expires_in_12_hours():
    round_ = open_round()
    assert len(round_.code) == 8
    assert round_.status == RoundStatus.OPEN
    assert round_.code_expires_at - round_.opened_at == timedelta(hours=12)
    assert Round.objects.by_code(round_.code.lower()).get() == round_


def test_linked_groups_must_really_be_linked():
    organiser = UserFactory()
    group, stranger, friend = GroupFactory(organiser=organiser), GroupFactory(), GroupFactory()
    with pytest.raises(ValidationError, match="Not linked"):
        open_round(group=group, organiser=organiser, linked_groups=[stranger])
    group_link_request(from_group=group, to_group=friend, user=organiser)
    group_link_request(from_group=friend, to_group=group, user=organiser)  # accepted
    round_ = open_round(group=group, organiser=organiser, linked_groups=[friend])
    assert list(round_.linked_groups.all()) == [friend]


def test_closing_expires_the_code_and_stops_everything():
    round_ = open_round()
    participant = join(round_)
    cluster = services.cluster_create(round_=round_, name="NHS")
    services.round_close(round_=round_)
    assert not Round.objects.by_code(round_.code).exists()
    with pytest.raises(ValidationError):
        join(round_, name="Late")
    with pytest.raises(ValidationError, match="closed"):
        services.note_add(participant=participant, text="Too late")
    with pytest.raises(ValidationError, match="closed"):
        services.dot_add(participant=participant, cluster=cluster)


def test_code_expires_after_12_hours_even_if_open():
    round_ = open_round()
    Round.objects.filter(pk=round_.pk).update(code_expires_at=timezone.now() - timedelta(seconds=1))
    round_.refresh_from_db()
    assert not Round.objects.by_code(round_.code).exists()
    with pytest.raises(ValidationError, match="expired"):
        join(round_)


def test_notes_are_capped_per_participant_and_in_length():
    round_ = open_round(notes_per_participant=2)
    participant = join(round_)
    services.note_add(participant=participant, text="  NHS   waiting lists ")
    assert Note.objects.get().text == "NHS waiting lists"
    with pytest.raises(ValidationError):
        services.note_add(participant=participant, text="x" * 141)
    services.note_add(participant=participant, text="Buses")
    with pytest.raises(ValidationError, match="2 notes"):
        services.note_add(participant=participant, text="A third")


def test_signed_in_user_joins_once_per_round():
    round_ = open_round()
    user = UserFactory()
    first = join(round_, user=user, name="Ann")
    again = join(round_, user=user, name="Ann B", agreed=True)
    assert first.pk == again.pk
    assert Participant.objects.get().name == "Ann B"


def test_merge_keeps_every_note_author_and_dot():
    round_ = open_round(dots_per_participant=3)
    ann, bob = join(round_, "Ann"), join(round_, "Bob")
    a1 = services.note_add(participant=ann, text="GP waiting times")
    b1 = services.note_add(participant=bob, text="NHS dentists")
    health = services.cluster_create(round_=round_, name="Health", note_ids=[a1.pk])
    nhs = services.cluster_create(round_=round_, name="NHS", note_ids=[b1.pk])
    services.dot_add(participant=ann, cluster=health)
    services.dot_add(participant=bob, cluster=health)
    services.dot_add(participant=bob, cluster=nhs)

    survivor = services.cluster_merge(source=health, target=nhs)
    assert survivor == nhs
    assert not Cluster.objects.filter(pk=health.pk).exists()
    assert set(Note.objects.filter(cluster=nhs).values_list("pk", "participant__name")) == {
        (a1.pk, "Ann"),
        (b1.pk, "Bob"),
    }
    assert Dot.objects.filter(cluster=nhs).count() == 3
    assert sorted(Dot.objects.values_list("participant__name", flat=True)) == ["Ann", "Bob", "Bob"]


def test_split_moves_ticked_notes_and_leaves_the_dots():
    round_ = open_round()
    ann = join(round_, "Ann")
    notes = [services.note_add(participant=ann, text=t) for t in ("Buses", "Trains")]
    transport = services.cluster_create(
        round_=round_, name="Transport", note_ids=[n.pk for n in notes]
    )
    services.dot_add(participant=ann, cluster=transport)
    rail = services.cluster_split(cluster=transport, note_ids=[notes[1].pk], name="Rail")
    assert list(rail.notes.all()) == [notes[1]]
    assert list(transport.notes.all()) == [notes[0]]
    assert Dot.objects.get().cluster == transport
    with pytest.raises(ValidationError, match="Leave at least one"):
        services.cluster_split(cluster=transport, note_ids=[notes[0].pk], name="All")
    with pytest.raises(ValidationError):
        services.cluster_split(cluster=transport, note_ids=[notes[1].pk], name="Not in it")


def test_moves_stay_within_the_round():
    round_, other = open_round(), open_round()
    note = services.note_add(participant=join(round_), text="Housing")
    foreign = services.cluster_create(round_=other, name="Elsewhere")
    with pytest.raises(ValidationError, match="another round"):
        services.note_move(note=note, cluster=foreign)
    with pytest.raises(ValidationError, match="different rounds"):
        services.cluster_merge(
            source=services.cluster_create(round_=round_, name="Mine"), target=foreign
        )


def test_dots_capped_several_on_one_allowed_and_can_be_taken_back():
    round_ = open_round(dots_per_participant=3)
    ann = join(round_)
    nhs = services.cluster_create(round_=round_, name="NHS")
    for _ in range(3):
        services.dot_add(participant=ann, cluster=nhs)
    with pytest.raises(ValidationError, match="all 3"):
        services.dot_add(participant=ann, cluster=nhs)
    assert services.dot_remove(participant=ann, cluster=nhs)
    assert Dot.objects.count() == 2
    services.dot_add(participant=ann, cluster=nhs)
    assert Dot.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_dots_are_capped_under_concurrency():
    """Eight threads tap at once for a participant with 3 dots: exactly 3 rows."""
    round_ = open_round(dots_per_participant=3)
    ann = join(round_)
    nhs = services.cluster_create(round_=round_, name="NHS")
    barrier = threading.Barrier(8)
    outcomes = []

    def tap():
        try:
            barrier.wait()
            services.dot_add(participant=ann, cluster=nhs)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 3
    assert Dot.objects.filter(participant=ann).count() == 3


@pytest.mark.django_db(transaction=True)
def test_notes_are_capped_under_concurrency():
    round_ = open_round(notes_per_participant=2)
    ann = join(round_)
    barrier = threading.Barrier(6)

    def add(n):
        try:
            barrier.wait()
            services.note_add(participant=ann, text=f"Note {n}")
        except ValidationError:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Note.objects.filter(participant=ann).count() == 2


def test_hidden_notes_are_kept():
    round_ = open_round()
    note = services.note_add(participant=join(round_), text="Something abusive")
    services.note_set_hidden(note=note, hidden=True)
    assert Note.objects.get().is_hidden
    assert not Note.objects.visible().exists()


def test_statement_needs_a_closed_round_and_covers_the_groups_seats():
    organiser = UserFactory()
    group = GroupFactory(organiser=organiser)
    seat = ConstituencyFactory(name="Brighton Pavilion")
    group.constituencies.add(seat)
    round_ = open_round(group=group, organiser=organiser)
    with pytest.raises(ValidationError, match="Close the round"):
        services.statement_create(round_=round_, created_by=organiser, title="Ours")
    services.round_close(round_=round_)
    statement = services.statement_create(round_=round_, created_by=organiser, title="Ours")
    assert list(statement.constituencies.all()) == [seat]
    with pytest.raises(ValidationError, match="already"):
        services.statement_create(round_=round_, created_by=organiser, title="Again")


def test_endorsements_are_idempotent_and_either_group_or_party():
    organiser = UserFactory()
    round_ = open_round(organiser=organiser)
    services.round_close(round_=round_)
    statement = services.statement_create(round_=round_, created_by=organiser, title="Ours")
    party = parties()["LD"]
    first = services.statement_endorse(statement=statement, user=organiser, group=round_.group)
    again = services.statement_endorse(statement=statement, user=organiser, group=round_.group)
    assert first.pk == again.pk
    services.statement_endorse(statement=statement, user=organiser, party=party)
    assert statement.endorsements.count() == 2
    with pytest.raises(ValidationError):
        services.statement_endorse(statement=statement, user=organiser)


def test_erasing_a_participant_removes_their_notes_dots_and_party_only():
    round_ = open_round()
    lab = parties()["Lab"]
    ann, bob = join(round_, "Ann", party=lab), join(round_, "Bob")
    a = services.note_add(participant=ann, text="Housing")
    b = services.note_add(participant=bob, text="Homes")
    housing = services.cluster_create(round_=round_, name="Housing", note_ids=[a.pk, b.pk])
    services.dot_add(participant=ann, cluster=housing)
    services.participant_erase(participant=ann)
    assert list(Note.objects.values_list("text", flat=True)) == ["Homes"]
    assert not Dot.objects.exists()
    assert Cluster.objects.get() == housing
