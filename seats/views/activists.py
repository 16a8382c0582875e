"""Where activists help most: nearby target seats for a party branch or a member."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from events.models import Event
from groups.models import Group
from seats.activists import activist_targets
from seats.forms import ActivistForm
from seats.models import Constituency
from seats.postcodes import postcode_lookup
from seats.views.common import latest_election, next_election


def activists(request):
    """For a party branch (?group=slug) or a member (party + postcode or constituency)."""
    group = None
    form = ActivistForm(request.GET or None)
    party = origins = None
    if request.GET.get("group"):
        if "\x00" in request.GET["group"]:  # PostgreSQL refuses NUL in text: no such group
            raise Http404("No such group.")
        group = get_object_or_404(Group.objects.select_related("party"), slug=request.GET["group"])
        if group.party is None:
            messages.info(request, "This group is not a party branch: choose a party below.")
        else:
            party, origins = group.party, list(group.constituencies.all())
    elif form.is_bound and form.is_valid():
        party = form.cleaned_data["party"]
        seat = form.cleaned_data.get("constituency")
        if seat is None and form.cleaned_data.get("postcode"):
            location = postcode_lookup(form.cleaned_data["postcode"])
            if location and location.constituency_code:
                seat = (
                    Constituency.objects.current()
                    .filter(ons_code=location.constituency_code)
                    .first()
                )
            if seat is None:
                form.add_error(
                    "constituency", "We could not place that postcode: choose a constituency."
                )
        origins = [seat] if seat else []
    # For the next general election if one is set up, read from the latest results on its
    # boundaries (an upcoming election has none yet).
    for_election = next_election()
    election = latest_election(boundary_set=for_election.boundary_set) if for_election else None
    targets, events_by_seat = [], {}
    if party and election:
        targets = activist_targets(party=party, origins=origins or [], election=election)
        seat_ids = [t.row.constituency.pk for t in targets]
        for event in (
            Event.objects.filter(constituency_id__in=seat_ids)
            .visible_to(request.user)
            .upcoming()
            .scheduled()
            .select_related("group")
            .order_by("starts_at")[:200]
        ):
            events_by_seat.setdefault(event.constituency_id, []).append(event)
    return render(
        request,
        "seats/activists.html",
        {
            "form": form,
            "group": group,
            "party": party,
            "origins": origins,
            "election": election,
            "for_election": for_election,
            "targets": [(t, events_by_seat.get(t.row.constituency.pk, [])) for t in targets],
        },
    )
