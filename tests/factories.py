"""Factories for the core: users, parties, groups. Apps keep theirs in tests/<app>/factories.py."""

import factory
from allauth.account.models import EmailAddress
from factory.django import DjangoModelFactory

from accounts.models import User
from groups.models import Group, GroupKind, Membership, Party, PartyStaff, Role
from seats.models import BoundarySet, Constituency
from seats.regions import Nation, Region

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    """A user with a verified primary email, who can sign in with PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.save()
        if extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class PartyFactory(DjangoModelFactory):
    class Meta:
        model = Party
        django_get_or_create = ("short_name",)

    name = factory.Sequence(lambda n: f"Party {n}")
    short_name = factory.Sequence(lambda n: f"P{n}")
    slug = factory.Sequence(lambda n: f"party-{n}")
    colour = "#336699"
    is_progressive = True


class ConstituencyFactory(DjangoModelFactory):
    class Meta:
        model = Constituency

    ons_code = factory.Sequence(lambda n: f"X{n:08d}")
    name = factory.Sequence(lambda n: f"Sampleton {n}")
    boundary_set = BoundarySet.SAMPLE
    nation = Nation.ENGLAND
    region = Region.SOUTH_WEST


class GroupFactory(DjangoModelFactory):
    """A pro-EU group by default; pass organiser=user to make someone its organiser."""

    class Meta:
        model = Group
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Group {n}")
    slug = factory.Sequence(lambda n: f"group-{n}")
    kind = GroupKind.PRO_EU
    region = Region.SOUTH_WEST
    contact_email = factory.Sequence(lambda n: f"group{n}@example.org")

    @factory.post_generation
    def organiser(obj, create, extracted, **kwargs):
        if create and extracted:
            Membership.objects.create(user=extracted, group=obj, role=Role.ORGANISER)


class PartyBranchFactory(GroupFactory):
    kind = GroupKind.PARTY_BRANCH
    party = factory.SubFactory(PartyFactory)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    group = factory.SubFactory(GroupFactory)
    role = Role.MEMBER


class PartyStaffFactory(DjangoModelFactory):
    class Meta:
        model = PartyStaff

    user = factory.SubFactory(UserFactory)
    party = factory.SubFactory(PartyFactory)
