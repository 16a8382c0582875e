"""Abuse: invalidate signatures by domain, IP range or time window, then recount."""

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from petitions.emails import email_domain
from petitions.models import (
    Petition,
    Signature,
    SignatureStatus,
)
from petitions.services.counting import petition_count


@dataclass(frozen=True)
class InvalidationCriteria:
    petition: Petition | None = None
    domain: str = ""
    ip_network: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def queryset(self):
        if not (self.domain or self.ip_network or self.start or self.end):
            raise ValidationError("Choose at least a domain, an IP range or a time window.")
        signatures = Signature.objects.filter(
            status__in=[SignatureStatus.PENDING, SignatureStatus.CONFIRMED]
        )
        if self.petition is not None:
            signatures = signatures.filter(petition=self.petition)
        if self.domain:
            domain = email_domain("x@" + self.domain.strip().lstrip("@"))
            signatures = signatures.filter(
                Q(email_domain=domain) | Q(email_domain__endswith="." + domain)
            )
        if self.ip_network:
            try:
                network = ipaddress.ip_network(self.ip_network.strip(), strict=False)
            except ValueError:
                raise ValidationError({"ip_network": "Enter an IP address or range (CIDR)."})
            signatures = signatures.filter(ip__net_contained_or_equal=str(network))
        if self.start:
            signatures = signatures.filter(created_at__gte=self.start)
        if self.end:
            signatures = signatures.filter(created_at__lt=self.end)
        return signatures


def signatures_invalidate(*, criteria: InvalidationCriteria) -> int:
    """Invalidate matching signatures, then recount the petitions touched at once."""
    with transaction.atomic():
        matching = criteria.queryset()
        petition_ids = set(matching.values_list("petition_id", flat=True).distinct())
        changed = matching.update(status=SignatureStatus.INVALIDATED, changed_at=timezone.now())
    for petition_id in petition_ids:
        petition_count(petition_id=petition_id)
    return changed
