"""Priority mapping's part of the hostile world (tests/security/conftest.py): group B owns an
open round (with a signed-in participant, a note and a cluster) and a closed round published
as a statement. `priorities_world` adds them; `priorities_snapshot` is what a refused request
must not change."""

from priorities import services
from priorities.models import Cluster, Dot, Endorsement, Note, Participant, Round, Statement
from tests.factories import UserFactory


def priorities_world(world) -> dict:
    round_b = services.round_open(
        group=world.group_b, opened_by=world.organiser_b, title="Beta round"
    )
    world.participant_b = UserFactory(name="Paula Participant")
    participant = services.participant_join(
        round_=round_b, user=world.participant_b, name="Paula", party=None, agreed_to_be_named=False
    )
    note = services.note_add(participant=participant, text="Beta's note")
    cluster = services.cluster_create(round_=round_b, name="Beta theme", note_ids=[note.pk])
    other_cluster = services.cluster_create(round_=round_b, name="Beta other")
    services.dot_add(participant=participant, cluster=cluster)
    closed = services.round_open(
        group=world.group_b, opened_by=world.organiser_b, title="Beta closed"
    )
    services.round_close(round_=closed)
    statement = services.statement_create(
        round_=closed, created_by=world.organiser_b, title="Beta priorities"
    )
    return {
        "round_b": round_b.pk,
        "round_b_code": round_b.code,
        "note_b": note.pk,
        "cluster_b": cluster.pk,
        "cluster_b2": other_cluster.pk,
        "statement_b": statement.pk,
    }


def priorities_snapshot() -> dict:
    return {
        "priority_rounds": list(
            Round.objects.order_by("pk").values_list("pk", "title", "status", "code_expires_at")
        ),
        "priority_participants": list(Participant.objects.order_by("pk").values_list("pk", "name")),
        "priority_notes": list(
            Note.objects.order_by("pk").values_list("pk", "text", "cluster_id", "is_hidden")
        ),
        "priority_clusters": list(Cluster.objects.order_by("pk").values_list("pk", "name")),
        "priority_dots": list(Dot.objects.order_by("pk").values_list("pk", "cluster_id")),
        "priority_statements": list(Statement.objects.order_by("pk").values_list("pk", "title")),
        "priority_endorsements": list(Endorsement.objects.order_by("pk").values_list("pk")),
    }
