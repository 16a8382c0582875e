from django.db import models
from django.db.models import Q
from django.utils import timezone

from events.choices import EventStatus, RsvpAnswer, Visibility
from groups.models import Membership, PartyStaff


def in_region_q(region: str, prefix: str = "") -> Q:
    """Events in a region: by their constituency, or by their group's when they have none.
    `prefix` reaches events through a relation (e.g. "event_a__" from a clash)."""
    return Q(**{f"{prefix}constituency__region": region}) | Q(
        **{f"{prefix}constituency__isnull": True, f"{prefix}group__region": region}
    )


def viewer_class(user) -> str:
    """Everything about `user` that decides which events they see (EventQuerySet.visible_to)
    and which clash markers (the clashes app's Clash.objects.visible_to: organiser roles,
    party staff roles and their regions): two people of one class see the same calendar, so
    a calendar page rendered for one may be served to the other. "" for the public."""
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return "superuser"
    memberships = sorted(
        Membership.objects.filter(user=user).values_list("group_id", "role", "group__is_verified")
    )
    staff_roles = sorted(PartyStaff.objects.filter(user=user).values_list("party_id", "region"))
    return f"member of {memberships}, staff of {staff_roles}"


class EventQuerySet(models.QuerySet):
    def scheduled(self):
        return self.filter(status=EventStatus.SCHEDULED)

    def upcoming(self):
        return self.filter(ends_at__gte=timezone.now())

    def not_ended_before(self, moment):
        """Events that end at or after `moment` (still on, or to come), readable in start order
        from an index: besides `ends_at >= moment` it bounds `starts_at` below by the earliest
        start of any event still running at `moment` (one GiST probe). Without that bound,
        PostgreSQL walks the start index from the first event ever and discards every event
        that has already ended (40,000 rows for an agenda page in June at 100k events a year).
        The bound comes from all events, so it is never above the true one: nothing is lost."""
        from datetime import timedelta

        from django.db.models import Min

        tick = timedelta(microseconds=1)
        running = (
            self.model.objects.overlapping(moment - tick, moment + tick)
            .filter(starts_at__lt=moment, ends_at__gte=moment)
            .aggregate(first=Min("starts_at"))["first"]
        )
        lower = min(running, moment) if running else moment
        return self.filter(ends_at__gte=moment, starts_at__gte=lower)

    def overlapping(self, start, end):
        """Events whose span meets [start, end): one GiST index scan (`&&`)."""
        from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

        return self.filter(span__overlap=DateTimeTZRange(start, end, "[)"))

    def in_calendar_of(self, group_ids):
        """The events a group's calendar shows: its own, those it co-hosts and those it
        accepted to promote (groups.EventPromotion). Subqueries, so no row comes twice."""
        from groups.models import EventPromotion, LinkStatus

        group_ids = list(group_ids)
        co_hosted = self.model.co_organisers.through.objects.filter(group_id__in=group_ids).values(
            "event_id"
        )
        promoted = EventPromotion.objects.filter(
            group_id__in=group_ids, status=LinkStatus.ACCEPTED
        ).values("event_id")
        return self.filter(Q(group_id__in=group_ids) | Q(pk__in=co_hosted) | Q(pk__in=promoted))

    def visible_to(self, user):
        """The one place event visibility is decided; every page, feed and RSVP starts here.
        The promises (shown as help text on the event form, events/forms.py):

        - public: everyone, signed in or not;
        - group (members only): organisers and approved members of the event's group or of a
          co-organising group. A request to join is not a membership (groups.MembershipRequest),
          so people waiting for approval see nothing members-only;
        - alliance: party staff, and organisers and approved members of groups that site
          staff have verified (Group.is_verified). Creating or joining an unverified group
          grants nothing beyond it.
        """

        public = Q(visibility=Visibility.PUBLIC)
        if not user.is_authenticated:
            return self.filter(public)
        if user.is_superuser:
            return self
        member_group_ids = Membership.objects.filter(user=user).values("group_id")
        co_organised = self.model.co_organisers.through.objects.filter(
            group_id__in=member_group_ids
        ).values("event_id")
        condition = public | Q(
            Q(group_id__in=member_group_ids) | Q(pk__in=co_organised),
            visibility=Visibility.GROUP,
        )
        is_in_alliance = (
            PartyStaff.objects.filter(user=user).exists()
            or Membership.objects.filter(user=user, group__is_verified=True).exists()
        )
        if is_in_alliance:
            condition |= Q(visibility=Visibility.ALLIANCE)
        return self.filter(condition)

    # --- Calendar reads (added by the events work) ---------------------------------------

    def for_calendar(self, viewer=None):
        """What every calendar item shows, in the same query: group, party, seat, RSVP count,
        and the open clashes `viewer` may see (none for the public)."""
        from django.db.models import Count, IntegerField, OuterRef, Subquery
        from django.db.models.functions import Coalesce

        # The RSVP models, without importing events.models (which imports this module).
        rsvps = self.model._meta.get_field("rsvps").related_model.objects
        guest_rsvps = self.model._meta.get_field("guest_rsvps").related_model.objects

        def count_of(rows):
            counted = rows.order_by().values("event").annotate(n=Count("pk")).values("n")
            return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

        going = rsvps.filter(event=OuterRef("pk"), answer=RsvpAnswer.GOING)
        guests = guest_rsvps.counted_going().filter(event=OuterRef("pk"))
        return (
            self.select_related("group", "group__party", "constituency")
            .annotate(going_count=count_of(going) + count_of(guests))
            .with_open_clash_count(viewer)
        )

    def with_open_clash_count(self, viewer=None):
        """Annotates `open_clash_count`: open clashes this event is in that `viewer` may see
        (organisers of either side, party staff), asked of the clashes app through its seam
        (events/apps.py); 0 for the public, or when it is not installed."""
        from events.apps import clashes_api

        seam = clashes_api()
        if seam is None:
            return self.annotate(open_clash_count=models.Value(0))
        return seam.events_with_open_clash_count(self, viewer=viewer)

    def near(self, point, miles: float):
        """Events placed within `miles` of `point`, nearest first (then soonest), each with
        `distance` in miles. Events without coordinates are not placed, so not listed."""
        from seats.distance import distance_miles, near_q

        return (
            self.filter(near_q(point, miles))
            .annotate(distance=distance_miles(point))
            .filter(distance__lte=miles)
            .order_by("distance", "starts_at", "pk")
        )

    def between(self, start, end):
        return self.overlapping(start, end)

    def in_groups_of(self, user):
        if not user.is_authenticated:
            return self.none()
        member_group_ids = user.memberships.values("group_id")
        co_organised = self.model.co_organisers.through.objects.filter(
            group_id__in=member_group_ids
        ).values("event_id")
        return self.filter(Q(group_id__in=member_group_ids) | Q(pk__in=co_organised))

    def search(self, text: str):
        if not text:
            return self
        return self.filter(
            Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(venue_name__icontains=text)
            | Q(address__icontains=text)
            | Q(postcode__icontains=text)
            | Q(group__name__icontains=text)
        )

    def in_region(self, region: str):
        return self.filter(in_region_q(region))

    def local(self):
        return self.filter(is_imported=False)
