from django.db import models


class ConstituencyQuerySet(models.QuerySet):
    def current(self):
        """Constituencies of the boundary set in force (2024), plus the demo sample."""
        return self.filter(boundary_set__in=["2024", "sample"])

    def search(self, text: str):
        return self.filter(name__icontains=text) if text else self


class AgreementQuerySet(models.QuerySet):
    def agreed(self):
        return self.filter(status="agreed")

    def live(self):
        """Not withdrawn: proposed, being negotiated or agreed."""
        return self.exclude(status="withdrawn")

    def involving(self, party_ids):
        return self.filter(parties__party_id__in=party_ids).distinct()
