"""Who may see and act on a clash. Every clash view goes through these."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from events.clash_models import Clash
from groups.models import Membership, Role


def user_organises_clash(*, user, clash: Clash) -> bool:
    """An organiser of either event's group or of a group co-organising either event."""
    if not user.is_authenticated:
        return False
    from events.models import Event

    group_ids = set(
        Event.objects.filter(pk__in=[clash.event_a_id, clash.event_b_id]).values_list(
            "group_id", flat=True
        )
    ) | set(
        Event.co_organisers.through.objects.filter(
            event_id__in=[clash.event_a_id, clash.event_b_id]
        ).values_list("group_id", flat=True)
    )
    return Membership.objects.filter(
        user=user, role=Role.ORGANISER, group_id__in=group_ids
    ).exists()


def clash_get_for_viewer(*, user, pk: int) -> Clash:
    """The clash page: its organisers, opted-in-or-not party staff of a party involved (in
    their region) and superusers. 404 when there is no such clash, 403 for everyone else."""
    clash = get_object_or_404(Clash.objects.for_list(), pk=pk)
    if user_organises_clash(user=user, clash=clash):
        return clash
    if user.is_authenticated and Clash.objects.visible_to(user).filter(pk=pk).exists():
        return clash
    raise PermissionDenied("Only the organisers of these events can see this clash.")


def clash_get_for_organiser(*, user, pk: int) -> Clash:
    """Acknowledge, dismiss, merge: organisers of either side only (404, then 403)."""
    clash = get_object_or_404(Clash.objects.for_list(), pk=pk)
    if not user_organises_clash(user=user, clash=clash):
        raise PermissionDenied("Only the organisers of these events can act on this clash.")
    return clash
