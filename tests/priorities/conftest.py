from dataclasses import dataclass

import pytest
from django.test import Client

from priorities import services
from tests.factories import GroupFactory, UserFactory
from tests.priorities.factories import join, open_round, parties


@dataclass
class Meeting:
    round: object
    organiser: object
    group: object
    parties: dict
    client_for: object


@pytest.fixture
def meeting(db) -> Meeting:
    organiser = UserFactory(name="Olive Organiser")
    group = GroupFactory(name="Sussex Progressives", organiser=organiser)
    round_ = open_round(group=group, organiser=organiser, title="What matters to you?")
    return Meeting(round_, organiser, group, parties(), None)


def participant_client(round_, name="Pat", party=None, agreed=False) -> Client:
    """A phone that has joined `round_` by its code (anonymous, one session)."""
    client = Client()
    data = {"name": name, "party": party.pk if party else ""}
    if agreed:
        data["agreed_to_be_named"] = "on"
    response = client.post(f"/priorities/join/{round_.code}/", data)
    assert response.status_code == 302, response.content[:500]
    return client


def seeded_round(*, participants: int, notes_each: int = 2, clusters: int = 5):
    """A round with `participants` anonymous participants, their notes spread over clusters,
    and a dot each. Built through the services."""
    organiser = UserFactory()
    group = GroupFactory(organiser=organiser)
    round_ = open_round(group=group, organiser=organiser, notes_per_participant=max(2, notes_each))
    party_list = list(parties().values()) + [None]
    made = [services.cluster_create(round_=round_, name=f"Theme {n}") for n in range(clusters)]
    for index in range(participants):
        person = join(round_, f"Person {index}", party=party_list[index % len(party_list)])
        for n in range(notes_each):
            note = services.note_add(participant=person, text=f"Issue {index}-{n}")
            if (index + n) % 3:
                services.note_move(note=note, cluster=made[(index + n) % clusters])
        services.dot_add(participant=person, cluster=made[index % clusters])
    return round_, organiser
