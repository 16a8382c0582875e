"""Counting: the shown counts (PetitionTally, ConstituencyTally) are written only by
`petition_count`, which the count task runs every few seconds for petitions with recent changes,
and the reconcile task runs for all. Milestones reached are recorded here, announced in updates.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alliance.tasks import enqueue_after_commit
from petitions import milestones
from petitions.models import (
    ConstituencyTally,
    Milestone,
    Petition,
    PetitionTally,
    Signature,
)
from petitions.tasks import milestones_notify_task

COUNT_LOCK_NAMESPACE = 60_061  # pg_advisory_xact_lock(namespace, petition_id)


def petition_count(*, petition_id: int) -> int:
    """Recount one petition exactly from its signature rows and upsert its tallies.

    An advisory lock per petition serialises concurrent counts, so a slower, older count can
    never overwrite a newer one. Milestones reached are recorded once (unique constraint).
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [COUNT_LOCK_NAMESPACE, petition_id]
            )
        rows = list(Signature.objects.counted_by_constituency(petition_id))
        total = sum(n for _, n in rows)
        now = timezone.now()
        PetitionTally.objects.bulk_create(
            [PetitionTally(petition_id=petition_id, confirmed_count=total, counted_at=now)],
            update_conflicts=True,
            unique_fields=["petition"],
            update_fields=["confirmed_count", "counted_at"],
        )
        by_constituency = {cid: n for cid, n in rows if cid is not None}
        if by_constituency:
            ConstituencyTally.objects.bulk_create(
                [
                    ConstituencyTally(
                        petition_id=petition_id, constituency_id=cid, confirmed_count=n
                    )
                    for cid, n in by_constituency.items()
                ],
                update_conflicts=True,
                unique_fields=["petition", "constituency"],
                update_fields=["confirmed_count"],
            )
        ConstituencyTally.objects.filter(petition_id=petition_id).exclude(
            constituency_id__in=list(by_constituency)
        ).delete()
        _milestones_record(petition_id=petition_id, total=total, now=now)
    return total


def _milestones_record(*, petition_id: int, total: int, now: datetime) -> None:
    reached = milestones.goals_reached(total)
    if not reached:
        return
    known = set(Milestone.objects.filter(petition_id=petition_id).values_list("goal", flat=True))
    new = [goal for goal in reached if goal not in known]
    if not new:
        return
    Milestone.objects.bulk_create(
        [Milestone(petition_id=petition_id, goal=goal, reached_at=now) for goal in new],
        ignore_conflicts=True,
    )
    enqueue_after_commit(milestones_notify_task, petition_id)


def petitions_count_recent(*, now: datetime | None = None) -> dict[int, int]:
    """Recount every petition with a signature changed in the look-back window.

    The window (default 2 minutes) is far longer than the beat interval, so a transaction that
    committed late is still seen; anything older is repaired by the reconcile task.
    """
    lookback = timedelta(seconds=settings.PETITIONS_COUNT_LOOKBACK_SECONDS)
    since = (now or timezone.now()) - lookback
    ids = (
        Signature.objects.changed_since(since)
        .order_by()
        .values_list("petition_id", flat=True)
        .distinct()
    )
    return {pid: petition_count(petition_id=pid) for pid in list(ids)}


def petitions_reconcile() -> dict[int, int]:
    """Recount every petition that has signatures or a tally; returns {petition id: count}."""
    ids = set(Signature.objects.order_by().values_list("petition_id", flat=True).distinct())
    ids |= set(PetitionTally.objects.values_list("petition_id", flat=True))
    return {pid: petition_count(petition_id=pid) for pid in sorted(ids)}


def petition_shown_count(petition: Petition) -> int:
    tally = getattr(petition, "tally", None)
    return tally.confirmed_count if tally else 0
