from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone

from groups.choices import InvitationStatus, LinkStatus, Role


class PartyQuerySet(models.QuerySet):
    def progressive(self):
        return self.filter(is_progressive=True)


class GroupQuerySet(models.QuerySet):
    def with_counts(self):
        """Member count and the party, in the same query: list pages stay at a fixed query count."""
        return self.select_related("party").annotate(
            member_count=Count("memberships", distinct=True)
        )

    def near(self, point, miles: float):
        """Groups within `miles` of `point`, nearest first, each with `distance` (miles)."""
        from seats.distance import distance_miles, near_q

        return (
            self.filter(near_q(point, miles))
            .annotate(distance=distance_miles(point))
            .filter(distance__lte=miles)
            .order_by("distance", Lower("name"), "pk")
        )

    def alphabetical(self):
        """By name, ignoring case whatever the database collation ("C" sorts Z before a)."""
        return self.order_by(Lower("name"), "pk")

    def search(self, text: str):
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(description__icontains=text)
            | Q(party__name__icontains=text)
        )

    def organised_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__role=Role.ORGANISER).distinct()

    def linked_to(self, group):
        """Groups with an accepted link to `group`, whichever side asked."""
        return self.filter(
            Q(outgoing_links__to_group=group, outgoing_links__status=LinkStatus.ACCEPTED)
            | Q(incoming_links__from_group=group, incoming_links__status=LinkStatus.ACCEPTED)
        ).distinct()


class MembershipQuerySet(models.QuerySet):
    def organisers(self):
        return self.filter(role=Role.ORGANISER)

    def of_user(self, user):
        """A user's memberships with their groups: the roles they hold."""
        return self.filter(user=user).select_related("group", "group__party")


class GroupLinkQuerySet(models.QuerySet):
    def pending_for(self, group):
        """Requests to link that `group`'s organisers have still to accept or decline."""
        return self.filter(to_group=group, status=LinkStatus.REQUESTED).select_related("from_group")

    def in_force_with(self, group):
        """`group`'s accepted links, whichever side asked, with both groups."""
        return (
            self.filter(Q(from_group=group) | Q(to_group=group), status=LinkStatus.ACCEPTED)
            .select_related("from_group", "to_group")
            .order_by("pk")
        )


class EventPromotionQuerySet(models.QuerySet):
    def promoters(self, *, event_ids, group_ids) -> dict[int, list[str]]:
        """{event id: names of the groups among `group_ids` promoting it (accepted)}, in one
        query: what a calendar or a feed marks "promoted by <group>"."""
        promoted: dict[int, list[str]] = {}
        rows = self.filter(
            event_id__in=list(event_ids), group_id__in=list(group_ids), status=LinkStatus.ACCEPTED
        ).values_list("event_id", "group__name")
        for event_id, name in rows.order_by("group__name"):
            promoted.setdefault(event_id, []).append(name)
        return promoted


class MembershipRequestQuerySet(models.QuerySet):
    def for_group(self, group):
        """Requests to join that `group`'s organisers have still to approve or decline."""
        return self.filter(group=group).select_related("user").order_by("created_at", "pk")


class OrganiserInvitationQuerySet(models.QuerySet):
    def open(self):
        """Pending and not yet expired: the ones a link can still accept."""
        return self.filter(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())

    def for_group(self, group):
        return self.filter(group=group).select_related("invited_by").order_by("-created_at")

    def addressed_to(self, email: str):
        return self.filter(email__iexact=email)
