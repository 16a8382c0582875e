"""Who may see and act on a clash, and what of each event they may see. Every clash view and
every clash email goes through these."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from clashes.models import Clash, JointEventProposal
from events.models import Event, EventStatus
from events.permissions import user_organises_event
from groups.permissions import user_organises_any


def user_organises_clash(*, user, clash: Clash) -> bool:
    """An organiser of either event's group or of a group co-organising either event."""
    if not user.is_authenticated:
        return False
    group_ids = set(
        Event.objects.filter(pk__in=[clash.event_a_id, clash.event_b_id]).values_list(
            "group_id", flat=True
        )
    ) | set(
        Event.co_organisers.through.objects.filter(
            event_id__in=[clash.event_a_id, clash.event_b_id]
        ).values_list("group_id", flat=True)
    )
    return user_organises_any(user=user, group_ids=group_ids)


def user_may_merge_clash(*, user, clash: Clash) -> bool:
    """A joint event changes both events (one gains co-organisers, the other is cancelled), so
    only someone who organises BOTH of them may make one. Until the other side can consent,
    an organiser of one side must never change or cancel the other side's event."""
    return user_organises_event(user=user, event=clash.event_a) and user_organises_event(
        user=user, event=clash.event_b
    )


def clash_get_for_viewer(*, user, pk: int) -> Clash:
    """The clash page: its organisers, opted-in-or-not party staff of a party involved (in
    their region) and superusers. 404 when there is no such clash, 403 for everyone else.
    What the viewer sees of each event is decided by `clash_sides_show`."""
    clash = get_object_or_404(Clash.objects.for_list(), pk=pk)
    if user_organises_clash(user=user, clash=clash):
        return clash
    if user.is_authenticated and Clash.objects.visible_to(user).filter(pk=pk).exists():
        return clash
    raise PermissionDenied("Only the organisers of these events can see this clash.")


def clash_get_for_organiser(*, user, pk: int) -> Clash:
    """Acknowledge, dismiss: organisers of either side only (404, then 403)."""
    clash = get_object_or_404(Clash.objects.for_list(), pk=pk)
    if not user_organises_clash(user=user, clash=clash):
        raise PermissionDenied("Only the organisers of these events can act on this clash.")
    return clash


def clash_get_for_merging(*, user, pk: int) -> Clash:
    """Make a joint event: organisers of both events only (404, then 403)."""
    clash = clash_get_for_organiser(user=user, pk=pk)
    if not user_may_merge_clash(user=user, clash=clash):
        raise PermissionDenied(
            "Only someone who organises both events can make them one joint event."
        )
    return clash


@dataclass(frozen=True)
class HiddenEvent:
    """Stands in for a clashing event the viewer may not see: its group and time (what makes
    it a clash), never its title, place or link."""

    pk: int
    group: object
    group_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    title: str = "An event you cannot see"
    venue_name: str = "Not shown to you"
    postcode: str = ""
    constituency: None = None
    is_hidden: bool = True

    def get_status_display(self) -> str:
        return EventStatus(self.status).label


def _hidden(event) -> HiddenEvent:
    return HiddenEvent(
        pk=event.pk,
        group=event.group,
        group_id=event.group_id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=event.status,
    )


def clash_sides_show(*, user, clashes) -> None:
    """Set `shown_a` and `shown_b` on each clash: the event itself when `user` may see it
    (the events app's one visibility rule, `Event.objects.visible_to`), else a HiddenEvent.
    One query for any number of clashes."""
    clashes = list(clashes)
    event_ids = {pk for clash in clashes for pk in (clash.event_a_id, clash.event_b_id)}
    visible = set(
        Event.objects.visible_to(user).filter(pk__in=event_ids).values_list("pk", flat=True)
    )
    for clash in clashes:
        for side in ("a", "b"):
            event = getattr(clash, f"event_{side}")
            setattr(clash, f"shown_{side}", event if event.pk in visible else _hidden(event))


# --- Joint events by consent -------------------------------------------------------------


def user_may_propose_joint_event(*, user, clash: Clash) -> bool:
    """An organiser of exactly one side proposes; the other side must consent. Party staff,
    members and outsiders organise neither side and may not (staff never cancel a group's
    event). Someone who organises both sides merges directly (`user_may_merge_clash`)."""
    return user_organises_event(user=user, event=clash.event_a) != user_organises_event(
        user=user, event=clash.event_b
    )


def user_may_answer_joint_proposal(*, user, proposal: JointEventProposal) -> bool:
    """Only an organiser of the side that was asked, and never the person who asked: the
    proposing side cannot consent on the other side's behalf."""
    if not user.is_authenticated or user.pk == proposal.proposed_by_id:
        return False
    return user_organises_event(user=user, event=proposal.responding_event)


def clash_get_for_proposing(*, user, pk: int) -> Clash:
    """Propose a joint event: organisers of one side of the clash (404, then 403)."""
    clash = clash_get_for_organiser(user=user, pk=pk)
    if not user_may_propose_joint_event(user=user, clash=clash):
        raise PermissionDenied("Only an organiser of one of these events can propose this.")
    return clash


def joint_proposal_get_for_viewer(*, user, pk: int) -> JointEventProposal:
    """The proposal page: organisers of either side of its clash (404, then 403)."""
    proposal = get_object_or_404(JointEventProposal.objects.for_page(), pk=pk)
    if not user_organises_clash(user=user, clash=proposal.clash):
        raise PermissionDenied("Only the organisers of these events can see this proposal.")
    return proposal


def joint_proposal_get_for_answering(*, user, pk: int) -> JointEventProposal:
    """Accept or decline: organisers of the side that was asked only (404, then 403)."""
    proposal = joint_proposal_get_for_viewer(user=user, pk=pk)
    if not user_may_answer_joint_proposal(user=user, proposal=proposal):
        raise PermissionDenied("Only an organiser of the other group can answer this proposal.")
    return proposal


def events_show(*, user, event_ids: list[int]) -> list:
    """The events with these ids, in that order, as `user` may see them: the event itself, or
    a HiddenEvent (group and time only) when the events app's visibility rule says no. Two
    queries for any number of events."""
    events = Event.objects.select_related("group__party", "constituency").in_bulk(event_ids)
    visible = set(
        Event.objects.visible_to(user).filter(pk__in=event_ids).values_list("pk", flat=True)
    )
    return [
        events[pk] if pk in visible else _hidden(events[pk]) for pk in event_ids if pk in events
    ]


def user_is_staff_for_clash(*, user, clash: Clash) -> bool:
    """Party staff of a party involved in the clash, in the region of either event (blank
    region: all): the same rule as `Clash.objects.visible_to`'s staff branch."""
    if not user.is_authenticated:
        return False
    return Clash.objects.filter(pk=clash.pk).staff_of(user).exists()


def clash_get_for_staff(*, user, pk: int) -> Clash:
    """Notes and contacting both sides: party staff of a party involved only (404, then 403)."""
    clash = get_object_or_404(Clash.objects.for_list(), pk=pk)
    if not user_is_staff_for_clash(user=user, clash=clash):
        raise PermissionDenied("Only party staff of a party involved can do that.")
    return clash
