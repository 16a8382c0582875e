import pytest

from accounts.services import user_data_export, user_delete
from petitions.models import PetitionTally, Signature
from petitions.services.counting import petition_count
from tests.factories import UserFactory
from tests.petitions.factories import SignatureFactory

pytestmark = pytest.mark.django_db


def test_export_and_erase_keep_the_count(petition):
    person = UserFactory(email="jo.bloggs@gmail.com")
    SignatureFactory(
        petition=petition,
        confirmed=True,
        name="Jo Bloggs",
        email="Jo.Bloggs+x@gmail.com",
        email_normalised="jobloggs@gmail.com",
    )
    SignatureFactory(petition=petition, confirmed=True, name="Someone Else")
    data = user_data_export(user=person)["petitions"]
    assert [s["name"] for s in data["signatures"]] == ["Jo Bloggs"]
    petition_count(petition_id=petition.pk)
    user_delete(user=person)
    assert not Signature.objects.filter(name="Jo Bloggs").exists()
    assert not Signature.objects.filter(email__icontains="bloggs").exists()
    assert Signature.objects.filter(name="Someone Else").exists()
    assert petition_count(petition_id=petition.pk) == 2
    assert PetitionTally.objects.get(petition=petition).confirmed_count == 2
