"""Rounds built through the services, as the views build them."""

from groups.models import Party
from priorities import services
from tests.factories import GroupFactory, PartyFactory, UserFactory

PARTIES = [("Labour", "Lab"), ("Liberal Democrats", "LD"), ("Green Party", "Green")]


def parties() -> dict[str, Party]:
    return {
        short: PartyFactory(name=name, short_name=short, slug=short.lower())
        for name, short in PARTIES
    }


def open_round(*, group=None, organiser=None, **options):
    organiser = organiser or UserFactory(name="Olive Organiser")
    group = group or GroupFactory(organiser=organiser)
    return services.round_open(
        group=group, opened_by=organiser, title=options.pop("title", "What matters?"), **options
    )


def join(round_, name="Pat", party=None, user=None, agreed=False):
    return services.participant_join(
        round_=round_, user=user, name=name, party=party, agreed_to_be_named=agreed
    )
