from django.db import models
from django.utils import timezone


class PetitionQuerySet(models.QuerySet):
    def public(self):
        """Open and closed petitions: the ones anyone may read."""
        return self.filter(status__in=["open", "closed"])

    def accepting_signatures(self):
        now = timezone.now()
        return (
            self.filter(status="open")
            .filter(models.Q(opens_at__isnull=True) | models.Q(opens_at__lte=now))
            .filter(models.Q(closes_at__isnull=True) | models.Q(closes_at__gt=now))
        )

    def awaiting_moderation(self):
        return self.filter(status="pending")

    def with_tally(self):
        return self.select_related("group", "tally")

    def due_to_close(self, now=None):
        return self.filter(status="open", closes_at__lte=now or timezone.now())

    def past_retention(self, cutoff):
        return self.filter(
            status="closed", closed_at__lte=cutoff, personal_data_deleted_at__isnull=True
        )


class SignatureQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status="confirmed")

    def pending(self):
        return self.filter(status="pending")

    def counted_by_constituency(self, petition_id):
        """[(constituency_id or None, count)] of confirmed signatures: the count task's query."""
        return (
            self.filter(petition_id=petition_id, status="confirmed")
            .values_list("constituency_id")
            .annotate(n=models.Count("*"))
            .order_by()
        )

    def consenting(self):
        """Confirmed signers who agreed to be contacted and did not unsubscribe."""
        return self.confirmed().filter(consent_to_contact=True, unsubscribed_at__isnull=True)

    def shown_publicly(self):
        return self.confirmed().filter(show_publicly=True)

    def expired(self, cutoff):
        return self.filter(status="pending", created_at__lt=cutoff)

    def changed_since(self, when):
        return self.filter(changed_at__gte=when)
