"""What priority mapping holds about a person (see accounts/services.py for the registry).

A participant's name, party, notes and dots are theirs: exported here and erased with the
account. Someone who joined without an account erases theirs from the round page ("Erase my
notes"). Rounds, statements and endorsements they made belong to their groups and stay, no
longer pointing at them.
"""

from priorities.live import round_changed
from priorities.models import Dot, Endorsement, Participant, Round, Statement


def export(user) -> dict:
    participations = (
        Participant.objects.filter(user=user)
        .select_related("round", "party")
        .prefetch_related("notes", "dots__cluster")
        .order_by("joined_at")
    )
    return {
        "participations": [
            {
                "round": p.round.title,
                "round_id": p.round_id,
                "name": p.name,
                "party": p.party.name if p.party else None,
                "agreed_to_be_named": p.agreed_to_be_named,
                "joined_at": p.joined_at.isoformat(),
                "notes": [
                    {"text": n.text, "hidden": n.is_hidden, "created_at": n.created_at.isoformat()}
                    for n in p.notes.all()
                ],
                "dots": [d.cluster.name for d in p.dots.all()],
            }
            for p in participations
        ],
        "rounds_opened": list(Round.objects.filter(opened_by=user).values_list("title", flat=True)),
        "statements_published": list(
            Statement.objects.filter(created_by=user).values_list("title", flat=True)
        ),
        "endorsements_made": [
            {"statement": e.statement.title, "for": str(e.group or e.party)}
            for e in Endorsement.objects.filter(endorsed_by=user).select_related(
                "statement", "group", "party"
            )
        ],
    }


def erase(user) -> None:
    for round_id in set(Participant.objects.filter(user=user).values_list("round_id", flat=True)):
        round_changed(round_id)  # open boards and projectors drop their notes and dots
    Dot.objects.filter(participant__user=user).delete()
    Participant.objects.filter(user=user).delete()  # their notes go with them
    Round.objects.filter(opened_by=user).update(opened_by=None)
    Statement.objects.filter(created_by=user).update(created_by=None)
    Endorsement.objects.filter(endorsed_by=user).update(endorsed_by=None)
