"""What the events app asks of clash detection: the one seam between them.

events never imports this module: clashes/apps.py hands it to the events app in ready()
(events/apps.py: clashes_api), and two functions call it through that:
events.services.clash_check_queue and EventQuerySet.with_open_clash_count.
"""

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery

from alliance.tasks import enqueue_after_commit
from clashes.models import Clash, ClashStatus
from clashes.tasks import event_clashes_check_task, events_clashes_check_task

CHECK_BATCH_SIZE = 500


def events_clashes_check_queue(*event_ids: int) -> None:
    """After commit, check these events for clashes: one task for one event, one batch task
    (one statement per 500 events) for a series or an import."""
    if len(event_ids) == 1:
        enqueue_after_commit(event_clashes_check_task, event_ids[0])
        return
    for start in range(0, len(event_ids), CHECK_BATCH_SIZE):
        enqueue_after_commit(
            events_clashes_check_task, list(event_ids[start : start + CHECK_BATCH_SIZE])
        )


def events_with_open_clash_count(events: QuerySet) -> QuerySet:
    """Annotates `open_clash_count` on an Event queryset: the open clashes each event is in
    (two indexed counts)."""

    def count(side: str):
        return Subquery(
            Clash.objects.filter(**{side: OuterRef("pk")}, status=ClashStatus.OPEN)
            .order_by()
            .values(n=Func(F("pk"), function="COUNT")),
            output_field=IntegerField(),
        )

    return events.annotate(open_clash_count=count("event_a") + count("event_b"))
