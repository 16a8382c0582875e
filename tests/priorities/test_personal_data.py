"""A participant's name, party, notes and dots are in their account's export and go when
they delete their account; what they organised stays with their group."""

import json

import pytest

from accounts.services import user_data_export, user_delete
from priorities import services
from priorities.models import Dot, Endorsement, Note, Participant, Round, Statement
from tests.factories import UserFactory
from tests.priorities.factories import join, open_round, parties

pytestmark = pytest.mark.django_db


def test_export_and_erase():
    pat = UserFactory(name="Pat Person")
    round_ = open_round(organiser=pat, title="Pat's round")
    party = parties()["Green"]
    me = join(round_, "Pat P", party=party, user=pat, agreed=True)
    other = join(round_, "Someone else")
    note = services.note_add(participant=me, text="Rewild the Downs")
    theirs = services.note_add(participant=other, text="Their note")
    cluster = services.cluster_create(round_=round_, name="Nature", note_ids=[note.pk, theirs.pk])
    services.dot_add(participant=me, cluster=cluster)
    services.dot_add(participant=other, cluster=cluster)
    services.round_close(round_=round_)
    statement = services.statement_create(round_=round_, created_by=pat, title="Pat's statement")
    services.statement_endorse(statement=statement, user=pat, group=round_.group)

    data = user_data_export(user=pat)["priorities"]
    json.dumps(data)
    (participation,) = data["participations"]
    assert participation["name"] == "Pat P"
    assert participation["party"] == "Green Party"
    assert participation["notes"][0]["text"] == "Rewild the Downs"
    assert participation["dots"] == ["Nature"]
    assert data["rounds_opened"] == ["Pat's round"]
    assert data["statements_published"] == ["Pat's statement"]
    assert "Their note" not in json.dumps(data)

    user_delete(user=pat)
    assert list(Participant.objects.values_list("name", flat=True)) == ["Someone else"]
    assert list(Note.objects.values_list("text", flat=True)) == ["Their note"]
    assert Dot.objects.get().participant == other
    assert Round.objects.get().opened_by is None
    assert Statement.objects.get().created_by is None
    assert Endorsement.objects.get().endorsed_by is None
