"""A party's answer to a petition addressed to it: written by that party's staff, shown on the
petition page, and emailed once to every signer who agreed to hear more (through the outbox,
one key per response and signature, with the signature's unsubscribe link)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from alliance.tasks import enqueue_after_commit
from outbox.emails import email_absolute_url
from outbox.services import email_enqueue_many
from petitions.models import Petition, PetitionResponse, Signature
from petitions.permissions import user_may_respond
from petitions.services.signing import signature_link
from petitions.tasks import petition_response_emails_queue_task

RESPONSE_EMAIL_BATCH = 500


@transaction.atomic
def petition_respond(*, petition: Petition, user, body: str) -> PetitionResponse:
    """The party's one answer (it cannot be changed: signers were emailed this text)."""
    if not user_may_respond(user=user, petition=petition):
        raise PermissionDenied("Only the staff of the party it is addressed to can answer it.")
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if PetitionResponse.objects.filter(petition=petition).exists():
        raise ValidationError("This petition has been answered already.")
    response = PetitionResponse(
        petition=petition, party=petition.target_party, body=body.strip(), responded_by=user
    )
    response.full_clean()
    response.save()
    enqueue_after_commit(petition_response_emails_queue_task, response.pk)
    return response


def petition_response_emails_queue(*, response_id: int) -> int:
    """Queue the next batch of emails; returns how many were written (0 when done). Each batch
    is one transaction that moves `last_signature_id` on, and each email's key is unique, so
    running twice (or after a crash mid-way) queues every email once."""
    with transaction.atomic():
        response = (
            PetitionResponse.objects.select_for_update(skip_locked=True)
            .select_related("petition", "party")
            .filter(pk=response_id, emails_finished_at__isnull=True)
            .first()
        )
        if response is None:
            return 0
        batch = list(
            Signature.objects.consenting()
            .filter(petition=response.petition, pk__gt=response.last_signature_id)
            .order_by("pk")[:RESPONSE_EMAIL_BATCH]
        )
        if not batch:
            response.emails_finished_at = timezone.now()
            response.save(update_fields=["emails_finished_at"])
            return 0
        petition = response.petition
        url = email_absolute_url(petition.get_absolute_url())
        written = email_enqueue_many(
            emails=[
                {
                    "key": f"petition-response:{response.pk}:{signature.pk}",
                    "to": signature.email,
                    "subject": f"{response.party.name} answered “{petition.title}”",
                    "template": "petitions/email/response",
                    "context": {
                        "petition": petition,
                        "response": response,
                        "first_name": signature.first_name,
                        "url": url,
                    },
                    "unsubscribe_url": signature_link("unsubscribe", signature.token),
                }
                for signature in batch
            ]
        )
        response.last_signature_id = batch[-1].pk
        response.emails_queued += len(written)
        response.save(update_fields=["last_signature_id", "emails_queued"])
    enqueue_after_commit(petition_response_emails_queue_task, response_id)
    return len(written)
