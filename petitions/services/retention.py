"""Retention: expire unconfirmed signatures, anonymise signers, apply the retention period."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from petitions.models import (
    Petition,
    Signature,
    SignatureStatus,
)


def signatures_expire(*, now: datetime | None = None) -> int:
    hours = settings.PETITIONS_UNCONFIRMED_EXPIRY_HOURS
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = Signature.objects.expired(cutoff).delete()
    return deleted


@transaction.atomic
def signatures_anonymise(*, signatures: QuerySet) -> int:
    """Forget who signed; keep what is counted. Returns how many signatures were touched."""
    now = timezone.now()
    pending = signatures.filter(status=SignatureStatus.PENDING)
    deleted, _ = pending.delete()
    kept = signatures.exclude(status=SignatureStatus.PENDING).update(
        name="",
        email="",
        # Unique per petition: a placeholder no real address can equal.
        email_normalised=Concat(Value("deleted-"), Cast("pk", CharField())),
        email_domain="",
        postcode="",
        town="",
        ip=None,
        user=None,
        consent_to_contact=False,
        show_publicly=False,
        unsubscribed_at=now,
        changed_at=now,
    )
    return deleted + kept


def petition_personal_data_delete(*, petition: Petition) -> int:
    """Retention: wipe who signed, keep how many and where (constituency) so counts stay."""
    with transaction.atomic():
        wiped = signatures_anonymise(signatures=Signature.objects.filter(petition=petition))
        Petition.objects.filter(pk=petition.pk).update(personal_data_deleted_at=timezone.now())
    return wiped


def petitions_retention_apply(*, now: datetime | None = None) -> int:
    months = settings.PETITIONS_RETENTION_MONTHS
    cutoff = (now or timezone.now()) - timedelta(days=round(months * 30.44))
    done = 0
    for petition in Petition.objects.past_retention(cutoff):
        petition_personal_data_delete(petition=petition)
        done += 1
    return done
