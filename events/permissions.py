"""Who may see and do what with events. Every events view goes through these functions."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from events.models import CalendarFeed, Event
from groups.permissions import user_organises_any


def user_organises_event(*, user, event: Event) -> bool:
    """Organisers of the event's group or of a co-organising group."""
    if not user.is_authenticated:
        return False
    group_ids = {event.group_id, *event.co_organisers.values_list("pk", flat=True)}
    return user_organises_any(user=user, group_ids=group_ids)


def event_get_for_viewer(*, user, pk: int) -> Event:
    """The event if `user` may see it; 404 otherwise (its existence is not revealed)."""
    return get_object_or_404(
        Event.objects.visible_to(user).select_related(
            "group", "group__party", "constituency", "series", "feed"
        ),
        pk=pk,
    )


def event_get_for_organiser(*, user, pk: int) -> Event:
    """The event if `user` organises it: 404 when they cannot even see it, 403 otherwise."""
    event = get_object_or_404(
        Event.objects.select_related("group", "group__party", "constituency", "feed"), pk=pk
    )
    if user_organises_event(user=user, event=event):
        return event
    if not Event.objects.visible_to(user).filter(pk=pk).exists():
        raise Http404("No such event.")
    raise PermissionDenied("Only this event's organisers can do that.")


def event_get_for_editing(*, user, pk: int) -> Event:
    """Like event_get_for_organiser, but imported events are read-only here."""
    event = event_get_for_organiser(user=user, pk=pk)
    if event.is_imported:
        raise PermissionDenied(
            "This event comes from an external calendar: change it there and it syncs here."
        )
    return event


def feed_get_for_organiser(*, user, pk: int) -> CalendarFeed:
    feed = get_object_or_404(CalendarFeed.objects.select_related("group"), pk=pk)
    if not user_organises_any(user=user, group_ids=[feed.group_id]):
        raise PermissionDenied("Only this group's organisers can manage its calendars.")
    return feed
