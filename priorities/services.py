"""Every write to priority mapping goes through here.

Concurrency: every clustering operation (create, rename, move, merge, split) first locks the
round's row, so they run one at a time per round. Adding a note or a dot locks the
participant's row (so nobody goes past their allowance with two quick taps), and a dot also
locks its cluster's row, so that a dot cannot land on a cluster while it is being merged away.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from groups.models import Group, Party
from priorities.codes import LIFETIME, code_generate
from priorities.live import round_changed
from priorities.models import (
    Cluster,
    Dot,
    Endorsement,
    Note,
    Participant,
    Round,
    RoundStatus,
    Statement,
)


def _lock_round(round_: Round) -> Round:
    return Round.objects.select_for_update().get(pk=round_.pk)


def _require_open(round_: Round) -> None:
    if round_.status != RoundStatus.OPEN:
        raise ValidationError("This round is closed.")


@transaction.atomic
def round_open(
    *,
    group: Group,
    opened_by,
    title: str,
    event=None,
    linked_groups=(),
    notes_per_participant: int = 2,
    dots_per_participant: int = 3,
    participants_may_cluster: bool = False,
) -> Round:
    linked_groups = list(linked_groups)
    allowed = set(Group.objects.linked_to(group).values_list("pk", flat=True))
    strangers = [g.name for g in linked_groups if g.pk not in allowed]
    if strangers:
        raise ValidationError(f"Not linked with {', '.join(strangers)}: link the groups first.")
    if event is not None and event.group_id not in allowed | {group.pk}:
        raise ValidationError("That event belongs to another group.")
    now = timezone.now()
    for _attempt in range(5):
        round_ = Round(
            group=group,
            opened_by=opened_by,
            title=title,
            event=event,
            code=code_generate(),
            code_expires_at=now + LIFETIME,
            notes_per_participant=notes_per_participant,
            dots_per_participant=dots_per_participant,
            participants_may_cluster=participants_may_cluster,
            opened_at=now,
        )
        round_.full_clean(exclude=["code"])
        try:
            with transaction.atomic():
                round_.save()
        except IntegrityError:  # the code was taken (one in 10^11): draw another
            continue
        round_.linked_groups.set(linked_groups)
        return round_
    raise ValidationError("Could not draw a free join code; please try again.")


@transaction.atomic
def round_close(*, round_: Round) -> Round:
    """Close the round: no more notes, dots or clustering; the join code stops working."""
    locked = _lock_round(round_)
    if locked.status != RoundStatus.CLOSED:
        now = timezone.now()
        locked.status = RoundStatus.CLOSED
        locked.closed_at = now
        locked.code_expires_at = min(locked.code_expires_at, now)
        locked.save(update_fields=["status", "closed_at", "code_expires_at"])
        round_changed(locked.pk, clusters=True)
    round_.status, round_.closed_at = locked.status, locked.closed_at
    round_.code_expires_at = locked.code_expires_at
    return round_


@transaction.atomic
def participant_join(
    *, round_: Round, user=None, name: str, party: Party | None, agreed_to_be_named: bool
) -> Participant:
    """Join (signed in: once per account, joining again updates the name and party)."""
    round_ = Round.objects.get(pk=round_.pk)  # as it is now, not as the caller loaded it
    if not round_.code_is_live:
        raise ValidationError("This round is no longer taking part: its code has expired.")
    name = " ".join(name.split())[:60]
    if not name:
        raise ValidationError("Please give a name.")
    if user is not None and user.is_authenticated:
        participant, created = Participant.objects.select_for_update().get_or_create(
            round=round_,
            user=user,
            defaults={"name": name, "party": party, "agreed_to_be_named": agreed_to_be_named},
        )
        if not created:
            participant.name, participant.party = name, party
            participant.agreed_to_be_named = agreed_to_be_named
            participant.save(update_fields=["name", "party", "agreed_to_be_named"])
        round_changed(round_.pk)
        return participant
    round_changed(round_.pk)
    return Participant.objects.create(
        round=round_, name=name, party=party, agreed_to_be_named=agreed_to_be_named
    )


@transaction.atomic
def participant_erase(*, participant: Participant) -> None:
    """Forget a participant: their notes, dots and party go with them (clusters stay)."""
    round_changed(participant.round_id)
    participant.delete()


@transaction.atomic
def note_add(*, participant: Participant, text: str) -> Note:
    participant = (
        Participant.objects.select_for_update().select_related("round").get(pk=participant.pk)
    )
    round_ = participant.round
    _require_open(round_)
    allowance = round_.notes_per_participant
    if participant.notes.count() >= allowance:
        raise ValidationError(f"You have added your {allowance} notes.")
    note = Note(round=round_, participant=participant, text=" ".join(text.split()))
    note.full_clean()
    note.save()
    round_changed(round_.pk)
    return note


@transaction.atomic
def note_set_hidden(*, note: Note, hidden: bool) -> Note:
    """Hide an abusive note: it is kept (and its author can still export it) but leaves every
    public count and the projector."""
    note.is_hidden = hidden
    note.save(update_fields=["is_hidden"])
    round_changed(note.round_id)
    return note


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the cluster a name.")
    return name


@transaction.atomic
def cluster_create(*, round_: Round, name: str, note_ids=()) -> Cluster:
    round_ = _lock_round(round_)
    _require_open(round_)
    cluster = Cluster(round=round_, name=_clean_name(name))
    cluster.full_clean()
    cluster.save()
    if note_ids:
        Note.objects.filter(round=round_, pk__in=list(note_ids)).update(cluster=cluster)
    round_changed(round_.pk, clusters=True)
    return cluster


@transaction.atomic
def cluster_rename(*, cluster: Cluster, name: str) -> Cluster:
    _require_open(_lock_round(cluster.round))
    cluster.name = _clean_name(name)
    cluster.full_clean()
    cluster.save(update_fields=["name"])
    round_changed(cluster.round_id, clusters=True)
    return cluster


@transaction.atomic
def note_move(*, note: Note, cluster: Cluster | None) -> Note:
    """Put a note on a cluster (None: back among the unplaced). Its dots are the cluster's,
    not the note's, so nothing else moves."""
    round_ = _lock_round(note.round)
    _require_open(round_)
    if cluster is not None and cluster.round_id != round_.pk:
        raise ValidationError("That cluster belongs to another round.")
    if cluster is not None and not Cluster.objects.filter(pk=cluster.pk).exists():
        raise ValidationError("That cluster has just been merged away; pick another.")
    Note.objects.filter(pk=note.pk).update(cluster=cluster)
    note.cluster = cluster
    round_changed(round_.pk)
    return note


@transaction.atomic
def cluster_merge(*, source: Cluster, target: Cluster) -> Cluster:
    """Merge `source` into `target`: every note (with its author) and every dot moves to the
    survivor, then the emptied `source` goes. Nothing is lost: notes keep their authors and
    dots keep their voters."""
    round_ = _lock_round(source.round)
    _require_open(round_)
    if source.pk == target.pk:
        raise ValidationError("Pick two different clusters to merge.")
    if source.round_id != target.round_id:
        raise ValidationError("Those clusters belong to different rounds.")
    locked = {
        c.pk: c for c in Cluster.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    if len(locked) != 2:
        raise ValidationError("One of those clusters has just been merged away.")
    Note.objects.filter(cluster_id=source.pk).update(cluster_id=target.pk)
    Dot.objects.filter(cluster_id=source.pk).update(cluster_id=target.pk)
    locked[source.pk].delete()
    round_changed(round_.pk, clusters=True)
    return locked[target.pk]


@transaction.atomic
def cluster_split(*, cluster: Cluster, note_ids, name: str) -> Cluster:
    """Move some of a cluster's notes into a new cluster called `name`. The dots stay with the
    original cluster: they were given to the theme as it stood, and cannot be divided fairly
    between the two halves (voters can move them while the round is open)."""
    round_ = _lock_round(cluster.round)
    _require_open(round_)
    if not Cluster.objects.select_for_update().filter(pk=cluster.pk).exists():
        raise ValidationError("That cluster has just been merged away.")
    note_ids = set(note_ids)
    in_cluster = set(Note.objects.filter(cluster_id=cluster.pk).values_list("pk", flat=True))
    if not note_ids or not note_ids <= in_cluster:
        raise ValidationError("Tick some of this cluster's notes to split off.")
    if note_ids == in_cluster:
        raise ValidationError("Leave at least one note behind (or rename the cluster instead).")
    new = Cluster(round=round_, name=_clean_name(name))
    new.full_clean()
    new.save()
    Note.objects.filter(pk__in=note_ids).update(cluster=new)
    round_changed(round_.pk, clusters=True)
    return new


@transaction.atomic
def dot_add(*, participant: Participant, cluster: Cluster) -> Dot:
    """Spend one dot on `cluster`. The participant's row is locked while counting, so two taps
    at once cannot both take the last dot."""
    participant = (
        Participant.objects.select_for_update().select_related("round").get(pk=participant.pk)
    )
    round_ = participant.round
    _require_open(round_)
    locked = Cluster.objects.select_for_update().filter(pk=cluster.pk, round=round_).first()
    if locked is None:
        raise ValidationError("That cluster has just been merged or removed; pick another.")
    allowance = round_.dots_per_participant
    if participant.dots.count() >= allowance:
        raise ValidationError(f"You have spent all {allowance} of your dots.")
    round_changed(round_.pk)
    return Dot.objects.create(round=round_, participant=participant, cluster=locked)


@transaction.atomic
def dot_remove(*, participant: Participant, cluster: Cluster) -> bool:
    """Take back one of your dots from `cluster` (False if you had none there)."""
    participant = (
        Participant.objects.select_for_update().select_related("round").get(pk=participant.pk)
    )
    _require_open(participant.round)
    dot = Dot.objects.filter(participant=participant, cluster_id=cluster.pk).last()
    if dot is None:
        return False
    dot.delete()
    round_changed(participant.round_id)
    return True


@transaction.atomic
def statement_create(*, round_: Round, created_by, title: str, introduction: str = "") -> Statement:
    """Publish a closed round as a statement of shared priorities. It covers the seats of the
    round's groups (and of its event), as they are now."""
    round_ = _lock_round(round_)
    if round_.status != RoundStatus.CLOSED:
        raise ValidationError("Close the round before publishing its priorities.")
    if Statement.objects.filter(round=round_).exists():
        raise ValidationError("This round's priorities are already published.")
    statement = Statement(
        round=round_, title=title.strip(), introduction=introduction.strip(), created_by=created_by
    )
    statement.full_clean()
    statement.save()
    seats = set()
    for group in [round_.group, *round_.linked_groups.all()]:
        seats.update(group.constituencies.values_list("pk", flat=True))
    if round_.event_id and round_.event and round_.event.constituency_id:
        seats.add(round_.event.constituency_id)
    statement.constituencies.set(seats)
    return statement


def statement_endorse(
    *, statement: Statement, user, group: Group | None = None, party: Party | None = None
) -> Endorsement:
    """Endorse for a group or a party (idempotent). Who may is checked by the caller
    (priorities/permissions.py)."""
    if (group is None) == (party is None):
        raise ValidationError("Endorse either for a group or for a party.")
    lookup = {"group": group} if group is not None else {"party": party}
    try:
        with transaction.atomic():
            endorsement, _ = Endorsement.objects.get_or_create(
                statement=statement, **lookup, defaults={"endorsed_by": user}
            )
    except IntegrityError:  # endorsed at the same moment by a colleague
        endorsement = Endorsement.objects.get(statement=statement, **lookup)
    return endorsement
