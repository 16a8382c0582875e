"""Writes of clash detection: checking events (detection plus the outbox, in one
transaction), what organisers do with a clash, and email preferences."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clashes import detection
from clashes.delivery import notifications_outbox_write, unsubscribe_url
from clashes.detection import DetectionResult
from clashes.models import (
    Clash,
    ClashNote,
    ClashStatus,
    JointEventProposal,
    NotificationMode,
    NotificationPreference,
    ProposalStatus,
)
from clashes.permissions import (
    user_is_staff_for_clash,
    user_may_answer_joint_proposal,
    user_may_merge_clash,
    user_may_propose_joint_event,
)
from events.models import Event, EventStatus
from events.permissions import user_organises_event
from events.services import calendar_changed, event_cancel
from groups.models import Role
from outbox.emails import email_absolute_url
from outbox.services import email_enqueue


def _with_outbox(record, **kwargs) -> DetectionResult:
    """Record clashes and write the outbox rows of new ones in the same transaction."""
    with transaction.atomic():
        result = record(**kwargs)
        if result.new:
            notifications_outbox_write(clash_ids=result.new)
        if result.new or result.reopened or result.resolved:
            calendar_changed()  # signed-in calendar pages show open-clash markers
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
        calendar_changed()  # the clash's marker goes from signed-in calendar pages
    return clash


def clash_acknowledge(*, clash: Clash, user) -> Clash:
    return _clash_set_status(clash=clash, user=user, status=ClashStatus.ACKNOWLEDGED)


def clash_dismiss(*, clash: Clash, user) -> Clash:
    return _clash_set_status(clash=clash, user=user, status=ClashStatus.DISMISSED)


def clash_merge(*, clash: Clash, user, keep_event_id: int) -> Event:
    """Turn the clash into a joint event at once: only for someone who organises both events
    (`user_may_merge_clash`). Everyone else proposes (`joint_event_propose`) and the other
    side accepts."""
    if keep_event_id not in (clash.event_a_id, clash.event_b_id):
        raise ValidationError({"keep": "Choose one of the two events."})
    with transaction.atomic():
        clash = Clash.objects.select_for_update().get(pk=clash.pk)
        if not user_may_merge_clash(user=user, clash=clash):
            raise PermissionDenied(
                "Only someone who organises both events can make them one joint event."
            )
        keep, drop = _events_locked(clash=clash, keep_event_id=keep_event_id)
        return _joint_event_make(clash=clash, keep=keep, drop=drop, user=user)


def _events_locked(*, clash: Clash, keep_event_id: int) -> tuple[Event, Event]:
    drop_id = clash.event_b_id if keep_event_id == clash.event_a_id else clash.event_a_id
    events = Event.objects.select_for_update().in_bulk([keep_event_id, drop_id])
    return events[keep_event_id], events[drop_id]


def _joint_event_check(*, clash: Clash, keep: Event, drop: Event) -> None:
    if not clash.is_actionable:
        raise ValidationError("This clash is already settled.")
    if keep.status != EventStatus.SCHEDULED or drop.status != EventStatus.SCHEDULED:
        raise ValidationError("Both events must still be scheduled to merge them.")
    if drop.is_imported:
        raise ValidationError(
            {"keep": "The other event is imported from an external calendar: keep that one."}
        )


def _joint_event_make(*, clash: Clash, keep: Event, drop: Event, user) -> Event:
    """Both groups (and their co-organisers) co-organise `keep`; `drop` is cancelled through
    the events service (the people going are emailed). Callers hold the locks and have
    checked who may do it."""
    _joint_event_check(clash=clash, keep=keep, drop=drop)
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


# --- Joint events by consent ---------------------------------------------------------------


def _organisers_of(event: Event):
    """Everyone who organises `event`'s group or a group co-organising it."""
    group_ids = {event.group_id, *event.co_organisers.values_list("pk", flat=True)}
    return (
        get_user_model()
        .objects.filter(
            memberships__group_id__in=group_ids,
            memberships__role=Role.ORGANISER,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def joint_event_propose(*, clash: Clash, user, keep_event_id: int) -> JointEventProposal:
    """An organiser of one side asks the other side to make the clash one joint event. The
    other side's organisers are emailed (once each, through the outbox) a link to answer.
    Nothing about either event changes until they accept."""
    if keep_event_id not in (clash.event_a_id, clash.event_b_id):
        raise ValidationError({"keep": "Choose one of the two events."})
    with transaction.atomic():
        clash = Clash.objects.select_for_update().get(pk=clash.pk)
        if not user_may_propose_joint_event(user=user, clash=clash):
            raise PermissionDenied("Only an organiser of one of these events can propose this.")
        keep, drop = _events_locked(clash=clash, keep_event_id=keep_event_id)
        _joint_event_check(clash=clash, keep=keep, drop=drop)
        if JointEventProposal.objects.pending().filter(clash=clash).exists():
            raise ValidationError("A joint event is already proposed for this clash.")
        responding = drop if user_organises_event(user=user, event=keep) else keep
        proposal = JointEventProposal.objects.create(
            clash=clash,
            keep_event=keep,
            drop_event=drop,
            responding_event=responding,
            keep_sequence=keep.sequence,
            drop_sequence=drop.sequence,
            proposed_by=user,
        )
        url = email_absolute_url(proposal.get_absolute_url())
        proposer_group = (keep if responding is drop else drop).group
        for recipient in _organisers_of(responding).exclude(pk=user.pk):
            if _clash_emails_off(recipient):
                continue
            email_enqueue(
                key=f"joint-proposal:{proposal.pk}:{recipient.pk}",
                to=recipient.email,
                subject=f"{proposer_group.name} proposes a joint event: {keep.title}",
                template="clashes/email/joint_proposal",
                context={
                    "recipient": recipient,
                    "proposal": proposal,
                    "keep": keep,
                    "drop": drop,
                    "proposer_group": proposer_group,
                    "url": url,
                },
                unsubscribe_url=unsubscribe_url(recipient.pk),
            )
    return proposal


def _clash_emails_off(user) -> bool:
    return NotificationPreference.objects.filter(
        user=user, clash_emails=NotificationMode.OFF
    ).exists()


def _proposal_locked(proposal: JointEventProposal, *, user) -> JointEventProposal:
    proposal = JointEventProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(
            f"This proposal was already answered: {proposal.get_status_display().lower()}."
        )
    if not user_may_answer_joint_proposal(user=user, proposal=proposal):
        raise PermissionDenied("Only an organiser of the other group can answer this proposal.")
    return proposal


def _proposal_decide(proposal: JointEventProposal, *, user, status: str) -> None:
    proposal.status = status
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    proposer = proposal.proposed_by
    if proposer is not None and proposer.is_active and status != ProposalStatus.LAPSED:
        email_enqueue(
            key=f"joint-proposal-answer:{proposal.pk}",
            to=proposer.email,
            subject=f"Joint event {ProposalStatus(status).label.lower()}",
            template="clashes/email/joint_proposal_answer",
            context={
                "recipient": proposer,
                "proposal": proposal,
                "accepted": status == ProposalStatus.ACCEPTED,
                "url": email_absolute_url(proposal.get_absolute_url()),
            },
        )


def joint_event_accept(*, proposal: JointEventProposal, user) -> Event:
    """The other side consents: the proposed event is kept with both groups co-organising it,
    the other is cancelled (its attendees are emailed). Refused, and the proposal lapses, if
    either event changed since it was proposed or the clash was settled meanwhile."""
    with transaction.atomic():
        proposal = _proposal_locked(proposal, user=user)
        clash = Clash.objects.select_for_update().get(pk=proposal.clash_id)
        keep, drop = _events_locked(clash=clash, keep_event_id=proposal.keep_event_id)
        changed = (
            keep.sequence != proposal.keep_sequence
            or drop.sequence != proposal.drop_sequence
            or not clash.is_actionable
            or keep.status != EventStatus.SCHEDULED
            or drop.status != EventStatus.SCHEDULED
        )
        if not changed:
            kept = _joint_event_make(clash=clash, keep=keep, drop=drop, user=user)
            _proposal_decide(proposal, user=user, status=ProposalStatus.ACCEPTED)
            return kept
        _proposal_decide(proposal, user=user, status=ProposalStatus.LAPSED)
    raise ValidationError(
        "One of the events has changed (or the clash was settled) since this was proposed. "
        "Nothing was changed; propose again from the clash page if it still makes sense."
    )


def joint_event_decline(*, proposal: JointEventProposal, user) -> JointEventProposal:
    """The other side says no: nothing changes but the proposal, and the proposer is told."""
    with transaction.atomic():
        proposal = _proposal_locked(proposal, user=user)
        _proposal_decide(proposal, user=user, status=ProposalStatus.DECLINED)
    return proposal


# --- Party staff on a clash ------------------------------------------------------------------


def clash_note_add(*, clash: Clash, author, body: str, email_organisers: bool) -> ClashNote:
    """A note both sides see on the clash page; with `email_organisers`, the organisers of
    both events (and of groups co-organising them) are also emailed it, once each."""
    if not user_is_staff_for_clash(user=author, clash=clash):
        raise PermissionDenied("Only party staff of a party involved can do that.")
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a note."})
    with transaction.atomic():
        note = ClashNote(clash=clash, author=author, body=body, emailed=email_organisers)
        note.full_clean()
        note.save()
        if email_organisers:
            recipients = {
                user.pk: user
                for event in (clash.event_a, clash.event_b)
                for user in _organisers_of(event)
            }
            url = email_absolute_url(clash.get_absolute_url())
            for recipient in recipients.values():
                if recipient.pk == author.pk or _clash_emails_off(recipient):
                    continue
                email_enqueue(
                    key=f"clash-note:{note.pk}:{recipient.pk}",
                    to=recipient.email,
                    subject="Party staff wrote about a clash of your event",
                    template="clashes/email/clash_note",
                    context={"recipient": recipient, "note": note, "url": url},
                    unsubscribe_url=unsubscribe_url(recipient.pk),
                )
    return note
