"""Writes of clash detection: checking events (detection plus the outbox, in one
transaction), what organisers do with a clash, and email preferences."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clashes import detection
from clashes.delivery import notifications_outbox_write
from clashes.detection import DetectionResult
from clashes.models import Clash, ClashStatus, NotificationMode, NotificationPreference
from clashes.permissions import user_may_merge_clash
from events.models import Event, EventStatus
from events.services import event_cancel


def _with_outbox(record, **kwargs) -> DetectionResult:
    """Record clashes and write the outbox rows of new ones in the same transaction."""
    with transaction.atomic():
        result = record(**kwargs)
        if result.new:
            notifications_outbox_write(clash_ids=result.new)
    return result


def event_clashes_check(*, event_id: int) -> DetectionResult:
    """Find, record and resolve the clashes of one event (after create/edit/move/cancel)."""
    return _with_outbox(detection.event_clashes_record, event_id=event_id)


def events_clashes_check(*, event_ids: list[int]) -> DetectionResult:
    """The incremental check for many events at once (a calendar import): one statement."""
    return _with_outbox(detection.events_clashes_record, event_ids=event_ids)


def clashes_sweep(
    *, start: datetime | None = None, end: datetime | None = None, weeks: int | None = None
) -> DetectionResult:
    """Re-check every event in a window (default: now to the coming weeks)."""
    return _with_outbox(detection.clashes_sweep_record, start=start, end=end, weeks=weeks)


def notification_preference_set(*, user, clash_emails: str) -> NotificationPreference:
    if clash_emails not in NotificationMode.values:
        raise ValidationError({"clash_emails": "Choose one of the options."})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"clash_emails": clash_emails, "updated_at": timezone.now()}
    )
    return preference


# --- What organisers do with a clash ------------------------------------------------------


def _clash_set_status(*, clash: Clash, user, status: str) -> Clash:
    with transaction.atomic():
        clash = Clash.objects.select_for_update().get(pk=clash.pk)
        if not clash.is_actionable:
            raise ValidationError("This clash is already settled.")
        clash.status = status
        clash.decided_by = user
        clash.updated_at = timezone.now()
        clash.save(update_fields=["status", "decided_by", "updated_at"])
    return clash


def clash_acknowledge(*, clash: Clash, user) -> Clash:
    return _clash_set_status(clash=clash, user=user, status=ClashStatus.ACKNOWLEDGED)


def clash_dismiss(*, clash: Clash, user) -> Clash:
    return _clash_set_status(clash=clash, user=user, status=ClashStatus.DISMISSED)


def clash_merge(*, clash: Clash, user, keep_event_id: int) -> Event:
    """Turn the clash into a joint event: both groups (and their co-organisers) co-organise the
    kept event; the other is cancelled through the events service (attendees are emailed).
    Only for someone who organises both events (`user_may_merge_clash`)."""
    if keep_event_id not in (clash.event_a_id, clash.event_b_id):
        raise ValidationError({"keep": "Choose one of the two events."})
    with transaction.atomic():
        clash = Clash.objects.select_for_update().get(pk=clash.pk)
        if not clash.is_actionable:
            raise ValidationError("This clash is already settled.")
        drop_id = clash.event_b_id if keep_event_id == clash.event_a_id else clash.event_a_id
        keep = Event.objects.select_for_update().get(pk=keep_event_id)
        drop = Event.objects.select_for_update().get(pk=drop_id)
        if not user_may_merge_clash(user=user, clash=clash):
            raise PermissionDenied(
                "Only someone who organises both events can make them one joint event."
            )
        if keep.status != EventStatus.SCHEDULED or drop.status != EventStatus.SCHEDULED:
            raise ValidationError("Both events must still be scheduled to merge them.")
        if drop.is_imported:
            raise ValidationError(
                {"keep": "The other event is imported from an external calendar: keep that one."}
            )
        partners = {drop.group_id, *drop.co_organisers.values_list("pk", flat=True)}
        partners.discard(keep.group_id)
        keep.co_organisers.add(*partners)
        keep.sequence += 1
        keep.updated_at = timezone.now()
        keep.save(update_fields=["sequence", "updated_at"])
        event_cancel(event=drop, author=user)
        clash.status = ClashStatus.MERGED
        clash.decided_by = user
        clash.updated_at = timezone.now()
        clash.save(update_fields=["status", "decided_by", "updated_at"])
    return keep
