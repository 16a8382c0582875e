import pytest

from seats import demo_pacts
from seats.models import Agreement, AgreementStatus, VoteSwap

pytestmark = pytest.mark.django_db


def test_the_sample_has_a_pact_a_proposal_and_a_vote_swap_once(client):
    from groups import demo as groups_demo

    groups_demo.load()
    assert demo_pacts.load() is True
    pact = Agreement.objects.get(constituency__name=demo_pacts.PACT_SEAT)
    proposed = Agreement.objects.get(constituency__name=demo_pacts.PROPOSED_SEAT)
    assert pact.status == AgreementStatus.AGREED
    assert proposed.status != AgreementStatus.AGREED
    assert pact.constituency.is_sample and "Sample pact (fictional)" in pact.terms
    assert VoteSwap.objects.count() == 1
    assert client.get("/seats/pacts/").status_code == 200
    demo_pacts.load()
    assert Agreement.objects.count() == 2 and VoteSwap.objects.count() == 1
