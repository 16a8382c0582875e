import secrets

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
from tests.factories import GroupFactory


class PetitionFactory(DjangoModelFactory):
    class Meta:
        model = Petition

    group = factory.SubFactory(GroupFactory)
    title = factory.Sequence(lambda n: f"Petition number {n}")
    slug = factory.Sequence(lambda n: f"petition-{n}")
    target = "the Liberal Democrats"
    body = "Please work with local groups.\n\n- one\n- two"
    status = PetitionStatus.OPEN


class SignatureFactory(DjangoModelFactory):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    name = factory.Sequence(lambda n: f"Signer {n}")
    email = factory.Sequence(lambda n: f"signer{n}@example.org")
    email_normalised = factory.LazyAttribute(lambda o: o.email.lower())
    email_domain = factory.LazyAttribute(lambda o: o.email.rsplit("@", 1)[1].lower())
    postcode = "SW1A 1AA"
    status = SignatureStatus.PENDING
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    ip = "192.0.2.10"

    class Params:
        confirmed = factory.Trait(
            status=SignatureStatus.CONFIRMED, confirmed_at=factory.LazyFunction(timezone.now)
        )
