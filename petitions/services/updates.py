"""Emails organisers send to signers (updates, in batches) and milestone emails to organisers."""

from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alliance.links import absolute_url
from alliance.mail import header_safe
from alliance.tasks import enqueue_after_commit
from groups.models import Membership, Role
from outbox.emails import email_message_build
from petitions import milestones
from petitions.models import (
    Milestone,
    Petition,
    PetitionUpdate,
    Signature,
)
from petitions.services.signing import signature_link
from petitions.tasks import petition_update_send_batch_task


def petition_update_create(*, petition: Petition, subject: str, body: str, by) -> PetitionUpdate:
    update = PetitionUpdate(petition=petition, subject=header_safe(subject), body=body, sent_by=by)
    update.full_clean()
    with transaction.atomic():
        update.save()
        enqueue_after_commit(petition_update_send_batch_task, update.pk)
    return update


def petition_update_send_batch(*, update_id: int, batch_size: int = 200) -> bool:
    """Send the next batch; True when more remain. Resumes after the last finished batch."""
    with transaction.atomic():
        update = (
            PetitionUpdate.objects.select_for_update(skip_locked=True)
            .select_related("petition")
            .filter(pk=update_id, finished_at__isnull=True)
            .first()
        )
        if update is None:
            return False
        batch = list(
            Signature.objects.consenting()
            .filter(petition=update.petition, pk__gt=update.last_signature_id)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            update.finished_at = timezone.now()
            update.save(update_fields=["finished_at"])
            return False
        messages = [
            email_message_build(
                to=signature.email,
                subject=f"{update.petition.title}: {update.subject}",
                template="petitions/email/update",
                context={
                    "update": update,
                    "petition": update.petition,
                    "signature": signature,
                    "petition_url": absolute_url(update.petition),
                },
                unsubscribe_url=signature_link("unsubscribe", signature.token),
            )
            for signature in batch
        ]
        get_connection().send_messages(messages)
        update.last_signature_id = batch[-1].pk
        update.sent_count += len(batch)
        update.save(update_fields=["last_signature_id", "sent_count"])
    return len(batch) == batch_size


def milestones_notify(*, petition_id: int) -> int:
    """Tell the organisers about milestones not yet announced; each is announced once."""
    with transaction.atomic():
        pending = list(
            Milestone.objects.select_for_update(skip_locked=True)
            .select_related("petition", "petition__group")
            .filter(petition_id=petition_id, notified_at__isnull=True)
        )
        if not pending:
            return 0
        petition = pending[0].petition
        recipients = list(
            Membership.objects.filter(group=petition.group, role=Role.ORGANISER).values_list(
                "user__email", flat=True
            )
        ) or [petition.group.contact_email]
        goal = max(m.goal for m in pending)
        context = {
            "petition": petition,
            "goal": goal,
            "petition_url": absolute_url(petition),
            "dashboard_url": absolute_url(
                reverse("petitions:dashboard", kwargs={"slug": petition.slug})
            ),
            "next_goal": milestones.next_goal(goal),
        }
        get_connection().send_messages(
            [
                email_message_build(
                    to=recipient,
                    subject=f"{goal:,} have signed “{petition.title}”",
                    template="petitions/email/milestone",
                    context=context,
                )
                for recipient in recipients
            ]
        )
        Milestone.objects.filter(pk__in=[m.pk for m in pending]).update(notified_at=timezone.now())
    return len(pending)
