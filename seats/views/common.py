"""What the seats pages share: the default election, party colours, query strings."""

from django.utils import timezone

from groups.models import Party
from seats.models import Election, ElectionKind

PAGE_SIZE = 50


def latest_election(boundary_set: str | None = None):
    """The latest election with results (on these boundaries, if given)."""
    elections = Election.objects.filter(contests__isnull=False)
    if boundary_set:
        elections = elections.filter(boundary_set=boundary_set)
    return elections.order_by("-date").first()


def next_election():
    """The election that pacts and help are for by default: the next general election set up
    (today or later), else the latest with results. By-elections are chosen explicitly."""
    return (
        Election.objects.filter(date__gte=timezone.localdate(), kind=ElectionKind.GENERAL)
        .order_by("date", "pk")
        .first()
        or latest_election()
    )


def party_colours() -> dict[str, str]:
    return dict(Party.objects.values_list("short_name", "colour"))


def with_default_election(request):
    data = request.GET.copy()
    if not data.get("election"):
        latest = latest_election()
        if latest:
            data["election"] = latest.slug
    return data


def query_with(request, **changes) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()
