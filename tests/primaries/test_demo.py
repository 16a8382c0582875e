import pytest

from primaries import demo
from primaries.models import Phase

pytestmark = pytest.mark.django_db


def test_the_sample_primary_is_labelled_and_taking_registrations(client):
    from groups import demo as groups_demo

    groups_demo.load()
    primary = demo.load()
    assert primary.agreement.constituency.is_sample
    assert primary.phase() == Phase.REGISTRATION
    assert primary.candidates.count() == 3
    page = client.get(primary.get_absolute_url()).content.decode()
    assert "Sample primary: fictional" in page and "Sample candidate (fictional)" in page
    assert demo.load() == primary  # once only
