"""Petitions on the map (confirmed signatures by constituency, counted as the count task counts
them; the top constituencies; a signer's own constituency) and a party's answer to a petition
addressed to it (shown on the page, emailed once to consenting signers with an unsubscribe
link; the list of petitions awaiting an answer)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from outbox.models import OutboxEmail
from petitions.models import PetitionResponse, Signature
from petitions.services import responses
from petitions.services.counting import petition_count
from petitions.tasks import petition_responses_emails_sweep_task
from seats.charts import count_bins
from tests.factories import (
    ConstituencyFactory,
    PartyFactory,
    PartyStaffFactory,
    UserFactory,
)
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats(db):
    return [
        ConstituencyFactory(
            boundary_set="2024", name=f"Hexton {i}", ons_code=f"E1400000{i}", hex_q=i, hex_r=0
        )
        for i in range(4)
    ]


@pytest.fixture
def signed(petition, seats):
    """Confirmed: 3 in Hexton 0, 1 in Hexton 1; pending, removed and invalidated elsewhere
    (never counted); one confirmed without a constituency."""
    for _ in range(3):
        SignatureFactory(petition=petition, confirmed=True, constituency=seats[0])
    SignatureFactory(petition=petition, confirmed=True, constituency=seats[1])
    SignatureFactory(petition=petition, constituency=seats[2])  # pending
    SignatureFactory(petition=petition, status="removed", constituency=seats[2])
    SignatureFactory(petition=petition, status="invalidated", constituency=seats[1])
    SignatureFactory(petition=petition, confirmed=True, constituency=None)
    petition_count(petition_id=petition.pk)
    return petition


def _hex_titles(html: str) -> dict[str, str]:
    return dict(re.findall(r"<title>(Hexton \d): ([^<]+)</title>", html))


def test_the_map_shows_confirmed_signatures_as_the_count_task_counts_them(client, signed):
    html = client.get(signed.get_absolute_url()).content.decode()
    assert _hex_titles(html) == {
        "Hexton 0": "3 signatures",
        "Hexton 1": "1 signature",
        "Hexton 2": "0 signatures",
        "Hexton 3": "0 signatures",
    }
    exact = {
        seat_id: n
        for seat_id, n in Signature.objects.counted_by_constituency(signed.pk)
        if seat_id is not None
    }
    assert sorted(exact.values()) == [1, 3]
    top = html[html.index("Top constituencies") :]
    assert top.index("Hexton 0: 3") < top.index("Hexton 1: 1")
    assert "Hexton 2:" not in top[: top.index("</ol>")]
    # Each hexagon leads to the same page with that seat's count.
    assert f'href="{signed.get_absolute_url()}?seat=E14000001#your-seat"' in html


def test_count_bins():
    assert count_bins(0) == []
    assert count_bins(3) == [1, 2, 3]
    assert count_bins(10) == [2, 4, 6, 8, 10]
    assert count_bins(1) == [1]


def test_a_visitor_sees_the_count_in_their_own_seat(client, signed, seats):
    html = client.get(f"{signed.get_absolute_url()}?seat=e14000000").content.decode()
    assert "In <strong>Hexton 0</strong>, 3 people have signed." in html
    html = client.get(f"{signed.get_absolute_url()}?seat=E14000003").content.decode()
    assert "In <strong>Hexton 3</strong>, 0 people have signed." in html
    html = client.get(f"{signed.get_absolute_url()}?seat=nonsense").content.decode()
    assert 'id="your-seat"' not in html


def test_a_signer_sees_their_constituencys_count_after_confirming(client, petition, seats):
    signature = SignatureFactory(petition=petition, constituency=seats[3])
    page = client.post(f"/petitions/s/{signature.token}/confirm/").content.decode()
    link = f"{petition.get_absolute_url()}?seat=E14000003#your-seat"
    assert link in page
    petition_count(petition_id=petition.pk)
    html = client.get(link).content.decode()
    assert "In <strong>Hexton 3</strong>, 1 person has signed." in html
    # Signed in, with their own confirmed signature: their seat without a link.
    user = UserFactory()
    SignatureFactory(petition=petition, confirmed=True, constituency=seats[3], user=user)
    petition_count(petition_id=petition.pk)
    client.force_login(user)
    html = client.get(petition.get_absolute_url()).content.decode()
    assert "In <strong>Hexton 3</strong>, 2 people have signed." in html


def test_the_detail_page_has_a_constant_query_count(
    client, petition, seats, django_assert_num_queries
):
    SignatureFactory(petition=petition, confirmed=True, constituency=seats[0])
    petition_count(petition_id=petition.pk)
    client.get(petition.get_absolute_url())  # the hex seats are cached after the first view
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(petition.get_absolute_url())
    for seat in seats[1:]:
        for _ in range(3):
            SignatureFactory(petition=petition, confirmed=True, constituency=seat)
    petition_count(petition_id=petition.pk)
    with django_assert_num_queries(len(first)):
        client.get(petition.get_absolute_url())


# --- A party's answer ---------------------------------------------------------------------------


@pytest.fixture
def addressed(petition, seats):
    """A petition to the Lib Dems with consenting, non-consenting, unsubscribed and pending
    signers."""
    lib_dems = PartyFactory(name="Liberal Democrats", short_name="LD", slug="ld")
    petition.target_party = lib_dems
    petition.save()
    consenting = [
        SignatureFactory(petition=petition, confirmed=True, consent_to_contact=True)
        for _ in range(3)
    ]
    SignatureFactory(petition=petition, confirmed=True, consent_to_contact=False)
    SignatureFactory(
        petition=petition,
        confirmed=True,
        consent_to_contact=True,
        unsubscribed_at="2026-01-01T00:00:00Z",
    )
    SignatureFactory(petition=petition, consent_to_contact=True)  # pending
    staff = PartyStaffFactory(party=lib_dems).user
    other_staff = PartyStaffFactory(party=PartyFactory(name="Green Party", short_name="Green")).user
    return petition, staff, other_staff, consenting


def test_the_partys_staff_answer_and_consenting_signers_are_emailed_once(
    client, addressed, eager_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    petition, staff, _, consenting = addressed
    monkeypatch.setattr(responses, "RESPONSE_EMAIL_BATCH", 2)  # two batches
    client.force_login(staff)
    assert client.get(f"{petition.get_absolute_url()}respond/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(
            f"{petition.get_absolute_url()}respond/", {"body": "We will work with local groups."}
        )
    assert queued  # the emails are queued after the answer is committed
    assert response.status_code == 302
    html = client.get(petition.get_absolute_url()).content.decode()
    assert "Liberal Democrats answered" in html and "We will work with local groups." in html
    emails = OutboxEmail.objects.filter(key__startswith="petition-response:")
    assert sorted(e.to_email for e in emails) == sorted(s.email for s in consenting)
    email = emails.first()
    assert "Liberal Democrats answered" in email.subject
    assert "We will work with local groups." in email.body_text
    assert "List-Unsubscribe" in email.headers
    assert "/unsubscribe/" in email.body_text
    answer = PetitionResponse.objects.get()
    assert answer.emails_finished_at is not None and answer.emails_queued == 3
    # Again (the beat sweep, a retried task): nothing more.
    PetitionResponse.objects.update(emails_finished_at=None, last_signature_id=0)
    petition_responses_emails_sweep_task()
    assert OutboxEmail.objects.filter(key__startswith="petition-response:").count() == 3
    with pytest.raises(ValidationError):
        responses.petition_respond(petition=petition, user=staff, body="Again")
    assert client.get(f"{petition.get_absolute_url()}respond/").status_code == 302


def test_only_the_addressed_partys_staff_may_answer(client, addressed, group):
    petition, _, other_staff, _ = addressed
    url = f"{petition.get_absolute_url()}respond/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    organiser = group.memberships.get(role="organiser").user
    for who in (other_staff, organiser, UserFactory()):
        client.force_login(who)
        assert client.get(url).status_code == 403
        assert client.post(url, {"body": "Hijacked"}).status_code == 403
    with pytest.raises(PermissionDenied):
        responses.petition_respond(petition=petition, user=other_staff, body="Hijacked")
    assert not PetitionResponse.objects.exists()
    petition.target_party = None
    petition.save()
    client.force_login(other_staff)
    assert client.get(url).status_code == 404


def test_petitions_awaiting_an_answer(client, addressed, group, django_assert_num_queries):
    petition, staff, _, _ = addressed
    unaddressed = PetitionFactory(group=group, title="To nobody in particular")
    client.force_login(staff)
    html = client.get("/petitions/awaiting-response/").content.decode()
    assert petition.title in html and unaddressed.title not in html
    assert f"/petitions/{petition.slug}/respond/" in html  # their party's: a link to answer
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get("/petitions/awaiting-response/")
    for i in range(4):
        PetitionFactory(group=group, target_party=petition.target_party, title=f"More {i}")
    with django_assert_num_queries(len(first)):
        client.get("/petitions/awaiting-response/")
    responses.petition_respond(petition=petition, user=staff, body="Answered.")
    html = client.get("/petitions/awaiting-response/?party=ld").content.decode()
    assert petition.title not in html and "More 0" in html


def test_organisers_can_address_a_petition_to_a_party(client, group):
    lib_dems = PartyFactory(name="Liberal Democrats", short_name="LD", slug="ld")
    organiser = group.memberships.get(role="organiser").user
    client.force_login(organiser)
    response = client.post(
        f"/petitions/new/{group.slug}/",
        {
            "title": "Stand aside in Taunton",
            "target": "the Liberal Democrats",
            "target_party": lib_dems.pk,
            "body": "Please.",
        },
    )
    assert response.status_code == 302
    from petitions.models import Petition

    assert Petition.objects.get(title="Stand aside in Taunton").target_party == lib_dems
