import datetime

import factory
from factory.django import DjangoModelFactory

from seats.models import Contest, Election, Result
from tests.factories import ConstituencyFactory


class ElectionFactory(DjangoModelFactory):
    class Meta:
        model = Election
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"test{n}")
    name = factory.Sequence(lambda n: f"Test election {n}")
    date = datetime.date(2029, 5, 3)
    boundary_set = "sample"


def contest_create(*, election, votes: dict, constituency=None, **seat_fields):
    """A seat with results: votes maps Party objects to counts; the winner is the top party."""
    seat = constituency or ConstituencyFactory(**seat_fields)
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    contest = Contest.objects.create(
        election=election,
        constituency=seat,
        valid_votes=sum(votes.values()),
        majority=ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0),
        winner_code=ranked[0][0].short_name,
        second_code=ranked[1][0].short_name if len(ranked) > 1 else "",
    )
    Result.objects.bulk_create(
        Result(election=election, constituency=seat, party=party, votes=count)
        for party, count in votes.items()
    )
    return contest
