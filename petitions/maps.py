"""A petition's signatures on the hex map, its top constituencies, and the count in one
visitor's own constituency. Every number is a `ConstituencyTally`: confirmed signatures counted
by `services/counting.py: petition_count`, the same counts as the table and the CSV."""

import re
from collections import Counter

from django.urls import reverse

from petitions.models import Petition, Signature
from seats.charts import hexmap_counts
from seats.models import BoundarySet, Constituency

TOP_CONSTITUENCIES = 10
ONS_CODE = re.compile(r"[A-Z][0-9]{8}")


def petition_map(*, petition: Petition, tallies: list, seat_code: str = "", user=None) -> dict:
    """`tallies`: the petition's ConstituencyTally rows with their constituency, most first.
    The visitor's own seat is `seat_code` (an ONS code from a link) or else the constituency of
    their own confirmed signature (signed in)."""
    counts = {tally.constituency_id: tally.confirmed_count for tally in tallies}
    sets = Counter(tally.constituency.boundary_set for tally in tallies)
    boundary_set = sets.most_common(1)[0][0] if sets else BoundarySet.B2024
    url = reverse("petitions:detail", kwargs={"slug": petition.slug})
    hexmap = hexmap_counts(
        counts=counts,
        boundary_set=boundary_set,
        url_template=f"{url}?seat=ONSCODE#your-seat",
        noun="signature",
    )
    return {
        "hexmap": hexmap if hexmap["count"] else None,
        "top_tallies": tallies[:TOP_CONSTITUENCIES],
        "your_seat": _your_seat(petition, counts, seat_code, user, boundary_set),
    }


def _your_seat(petition, counts, seat_code, user, boundary_set):
    seat = None
    seat_code = seat_code.strip().upper()
    if ONS_CODE.fullmatch(seat_code):
        seat = (
            Constituency.objects.filter(ons_code=seat_code)
            .order_by("-boundary_set" if boundary_set == BoundarySet.B2024 else "boundary_set")
            .first()
        )
    elif user is not None and user.is_authenticated:
        signature = (
            Signature.objects.confirmed()
            .filter(petition=petition, user=user, constituency__isnull=False)
            .select_related("constituency")
            .first()
        )
        seat = signature.constituency if signature else None
    if seat is None:
        return None
    return {"constituency": seat, "count": counts.get(seat.pk, 0)}
