"""What the events app asks of clash detection: the one seam between them.

events never imports this module: clashes/apps.py hands it to the events app in ready()
(events/apps.py: clashes_api), and these call it through that:
events.services.clash_check_queue, EventQuerySet.with_open_clash_count and the event form's
warning before saving (events/views.py: event_clash_warning).
"""

from datetime import datetime

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value

from alliance.tasks import enqueue_after_commit
from clashes.drafts import Draft
from clashes.models import Clash, ClashStatus
from clashes.permissions import clash_sides_show
from clashes.presentation import DraftWarning, draft_warning
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


def events_with_open_clash_count(events: QuerySet, *, viewer=None) -> QuerySet:
    """Annotates `open_clash_count` on an Event queryset: the open clashes each event is in
    that `viewer` may see (`Clash.objects.visible_to`: organisers of either side, party
    staff); always 0 for the public, who see no clash markers (two indexed counts)."""
    if viewer is None or not viewer.is_authenticated:
        return events.annotate(open_clash_count=Value(0, output_field=IntegerField()))
    visible = Clash.objects.visible_to(viewer)

    def count(side: str):
        return Subquery(
            visible.filter(**{side: OuterRef("pk")}, status=ClashStatus.OPEN)
            .order_by()
            .values(n=Func(F("pk"), function="COUNT")),
            output_field=IntegerField(),
        )

    return events.annotate(open_clash_count=count("event_a") + count("event_b"))


def event_draft_warning(
    *,
    viewer,
    group_id: int,
    starts_at: datetime,
    ends_at: datetime,
    constituency_id: int | None,
    latitude: float | None,
    longitude: float | None,
    event_id: int | None = None,
) -> DraftWarning:
    """Before saving: the events this time and place would clash with (as `viewer` may see
    them) and up to three free slots. Empty (falsy) when there is no clash."""
    draft = Draft(
        group_id=group_id,
        starts_at=starts_at,
        ends_at=ends_at,
        constituency_id=constituency_id,
        latitude=latitude,
        longitude=longitude,
        event_id=event_id or 0,
    )
    return draft_warning(viewer=viewer, draft=draft)


def event_open_clashes(*, event_id: int, viewer) -> list[Clash]:
    """The event page's open (or acknowledged) clashes, for those who may see them: organisers
    of either side and party staff (`Clash.objects.visible_to`); none for the public. Each has
    `other`: the other event as `viewer` may see it. Three queries."""
    if not viewer.is_authenticated:
        return []
    clashes = list(
        Clash.objects.visible_to(viewer)
        .filter(
            Q(event_a_id=event_id) | Q(event_b_id=event_id),
            status__in=[ClashStatus.OPEN, ClashStatus.ACKNOWLEDGED],
        )
        .for_list()
        .order_by("pk")
    )
    clash_sides_show(user=viewer, clashes=clashes)
    for clash in clashes:
        clash.other = clash.shown_b if clash.event_a_id == event_id else clash.shown_a
    return clashes
