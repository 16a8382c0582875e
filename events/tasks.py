"""Celery tasks of the events app: thin, load by id, call a service, safe to run twice.
Clash tasks are in the clashes app (clashes/tasks.py)."""

from celery import shared_task


@shared_task(acks_late=True)
def event_attendees_notify_task(event_id: int) -> int:
    from events.services import event_attendees_notify

    return event_attendees_notify(event_id=event_id)


@shared_task(acks_late=True)
def rsvp_promoted_notify_task(rsvp_id: int) -> bool:
    from events.services import rsvp_promoted_notify

    return rsvp_promoted_notify(rsvp_id=rsvp_id)


@shared_task(acks_late=True)
def event_reminders_send_task() -> int:
    """Beat, hourly: tomorrow's reminders (members and guests), and any change emails that
    were never queued."""
    from events.services import (
        event_attendees_notify_pending,
        event_reminders_send,
        guest_rsvp_reminders_send,
    )

    return event_reminders_send() + guest_rsvp_reminders_send() + event_attendees_notify_pending()


@shared_task(acks_late=True)
def event_series_extend_task() -> int:
    from events.services import event_series_extend_all

    return event_series_extend_all()


# Below the broker's visibility timeout (60 s): a sync still running when it expires would be
# handed to a second worker. The fetch has its own 10 s deadline; the rest is parsing.
FEED_SYNC_SOFT_TIME_LIMIT = 40
FEED_SYNC_TIME_LIMIT = 50


@shared_task(
    acks_late=True, soft_time_limit=FEED_SYNC_SOFT_TIME_LIMIT, time_limit=FEED_SYNC_TIME_LIMIT
)
def calendar_feed_sync_task(feed_id: int) -> None:
    """Sync one feed on the "imports" queue (CELERY_TASK_ROUTES). Never raises: every failure
    ends up on the feed (last_error, warnings); a second copy of a running sync does nothing."""
    from events.imports import calendar_feed_sync_by_id

    calendar_feed_sync_by_id(feed_id=feed_id)


@shared_task(acks_late=True)
def calendar_feeds_sync_due_task() -> int:
    """Beat: queue a sync for every active, confirmed URL feed; forget stale previews."""
    from events.imports import calendar_feed_previews_expire
    from events.models import CalendarFeed

    calendar_feed_previews_expire()
    feed_ids = list(
        CalendarFeed.objects.filter(is_active=True, is_preview=False)
        .exclude(url="")
        .values_list("pk", flat=True)
    )
    for feed_id in feed_ids:
        calendar_feed_sync_task.delay(feed_id)
    return len(feed_ids)
