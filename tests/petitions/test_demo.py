import pytest

from groups.demo import load as groups_demo_load
from petitions.demo import load
from petitions.models import Petition, PetitionTally

pytestmark = pytest.mark.django_db


def test_demo_loads_labelled_samples_once():
    groups_demo_load()
    created = load()
    assert len(created) == 2
    assert all(p.is_sample and p.status == "open" for p in created)
    counts = sorted(PetitionTally.objects.values_list("confirmed_count", flat=True))
    assert counts == [0, 137]
    assert load() == []  # idempotent
    assert Petition.objects.count() == 2
