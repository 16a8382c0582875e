from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventQuerySet(models.QuerySet):
    def scheduled(self):
        return self.filter(status="scheduled")

    def upcoming(self):
        return self.filter(ends_at__gte=timezone.now())

    def overlapping(self, start, end):
        """Events whose span meets [start, end): one GiST index scan (`&&`)."""
        from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

        return self.filter(span__overlap=DateTimeTZRange(start, end, "[)"))

    def visible_to(self, user):
        """Public events for everyone; alliance events for signed-in members of any group and
        party staff; group events for that group's (or a co-organising group's) members."""
        public = Q(visibility="public")
        if not user.is_authenticated:
            return self.filter(public)
        if user.is_superuser:
            return self
        is_in_alliance = user.memberships.exists() or user.party_staff_roles.exists()
        member_group_ids = user.memberships.values("group_id")
        co_organised = self.model.co_organisers.through.objects.filter(
            group_id__in=member_group_ids
        ).values("event_id")
        condition = public | Q(
            Q(group_id__in=member_group_ids) | Q(pk__in=co_organised), visibility="group"
        )
        if is_in_alliance:
            condition |= Q(visibility="alliance")
        return self.filter(condition)
