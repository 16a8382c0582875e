"""The pages, through HTTP: staff set-up, can-I-vote, registration, ballot, receipt, result."""

import csv
import dataclasses
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from primaries import services
from primaries.models import Ballot, Voter, VoterStatus
from tests.primaries.conftest import (
    INSIDE,
    INSIDE_TOO,
    OUTSIDE,
    deliver,
    link_token,
    register_and_confirm,
    set_up,
)

pytestmark = pytest.mark.django_db


def _rules_post(primary_like_start):
    from datetime import timedelta

    fmt = "%Y-%m-%dT%H:%M"
    from django.utils import timezone

    start = timezone.localtime(primary_like_start)
    return {
        "rules-electorate": "residents",
        "rules-counting_method": "irv",
        "rules-registration_opens_at": (start + timedelta(days=1)).strftime(fmt),
        "rules-registration_closes_at": (start + timedelta(days=3)).strftime(fmt),
        "rules-voting_opens_at": (start + timedelta(days=4)).strftime(fmt),
        "rules-voting_closes_at": (start + timedelta(days=6)).strftime(fmt),
    }


def test_staff_set_up_through_the_pages(client, pw):
    url = f"/primaries/agreement/{pw.agreement.pk}/"
    client.force_login(pw.staff[0])
    assert client.get(url).status_code == 200
    response = client.post(url + "rules/", _rules_post(pw.start))
    assert response.status_code == 302
    response = client.post(
        url + "candidate/",
        {
            "candidate-party": pw.parties[0].pk,
            "candidate-name": "<b>Ann</b>",
            "candidate-statement": "Hello",
            "candidate-red_lines": "No cuts",
        },
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "&lt;b&gt;Ann&lt;/b&gt;" in page and "<b>Ann</b>" not in page


def test_bad_dates_re_render_with_the_message_and_keep_the_input(client, pw):
    url = f"/primaries/agreement/{pw.agreement.pk}/rules/"
    client.force_login(pw.staff[0])
    data = _rules_post(pw.start)
    data["rules-voting_closes_at"] = data["rules-registration_opens_at"]
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "must run in order" in page
    assert data["rules-voting_opens_at"] in page


def test_can_i_vote_answers_before_opening(client, pw, lookup):
    primary = set_up(pw)
    page = client.get(f"/primaries/{primary.pk}/can-i-vote/", {"postcode": "pr1 1aa"})
    assert page.status_code == 200 and "Yes, you can vote" in page.content.decode()
    page = client.get(f"/primaries/{primary.pk}/can-i-vote/", {"postcode": OUTSIDE})
    assert "No, you cannot vote" in page.content.decode()


def test_register_by_email_link(client, pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    response = client.post(
        f"/primaries/{primary.pk}/register/", {"email": "v@example.org", "postcode": INSIDE_TOO}
    )
    assert response.status_code == 302
    token = link_token(deliver()[-1].body, "/primaries/confirm/")
    page = client.get(f"/primaries/confirm/{token}/")
    assert "Confirm my registration" in page.content.decode()
    assert primary.roll.get().status == VoterStatus.UNCONFIRMED  # a GET changes nothing
    client.post(f"/primaries/confirm/{token}/")
    assert primary.roll.get().status == VoterStatus.REGISTERED


def test_register_outside_the_seat_shows_why_and_keeps_the_input(client, pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    response = client.post(
        f"/primaries/{primary.pk}/register/", {"email": "far@example.org", "postcode": OUTSIDE}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "not in Primaryton" in page and "far@example.org" in page
    assert Voter.objects.count() == 0


def test_registration_is_rate_limited_per_ip(client, pw, lookup, travel, settings):
    settings.PRIMARIES_REGISTER_LIMIT_PER_IP = 2
    primary = set_up(pw)
    travel(pw.at("registration"))
    codes = [
        client.post(
            f"/primaries/{primary.pk}/register/", {"email": f"r{i}@example.org", "postcode": INSIDE}
        ).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert Voter.objects.count() == 2


def test_vote_receipt_and_result_pages(client, pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    register_and_confirm(primary, "one@example.org")
    register_and_confirm(primary, "two@example.org")
    travel(pw.at("voting"))
    mail.outbox.clear()
    services.ballots_send_due()
    tokens = [link_token(m.body, "/primaries/vote/") for m in deliver()]
    candidates = list(primary.candidates.all())
    assert client.get(f"/primaries/{primary.pk}/result/").status_code == 403  # hidden
    assert client.get(f"/primaries/{primary.pk}/ballots.csv").status_code == 403
    response = client.post(
        f"/primaries/vote/{tokens[0]}/",
        {f"rank_{candidates[0].pk}": "1", f"rank_{candidates[1].pk}": "1"},
    )
    assert response.status_code == 400 and "Use each number once" in response.content.decode()
    response = client.post(
        f"/primaries/vote/{tokens[0]}/",
        {f"rank_{candidates[2].pk}": "1", f"rank_{candidates[0].pk}": "2"},
    )
    assert response.status_code == 200
    receipt = response.context["receipt"]
    assert receipt in response.content.decode()
    again = client.post(f"/primaries/vote/{tokens[0]}/", {f"rank_{candidates[0].pk}": "1"})
    assert again.status_code == 403 and "already" in again.content.decode()
    page = client.get(f"/primaries/{primary.pk}/receipt/", {"code": receipt})
    assert "In the box" in page.content.decode()
    client.post(f"/primaries/vote/{tokens[1]}/", {f"rank_{candidates[2].pk}": "1"})
    travel(pw.at("closed"))
    late = client.post(f"/primaries/vote/{tokens[1]}/", {f"rank_{candidates[0].pk}": "1"})
    assert late.status_code == 403
    services.primaries_count_due()
    page = client.get(f"/primaries/{primary.pk}/result/").content.decode()
    assert "Winner: " + candidates[2].name in page and "Round 1" in page
    primary.refresh_from_db()
    roll = primary.registered_count
    assert f"Turnout: 2 ballots cast from a roll of {roll:,} voters" in page  # the chart
    assert f"2 of {roll:,} (" in page
    assert re.search(rf"{re.escape(primary.winner.name)}[^<]*\(elected\)</text>", page)
    assert (
        "Counted: a ballot with this receipt"
        in client.get(f"/primaries/{primary.pk}/receipt/", {"code": receipt}).content.decode()
    )
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/primaries/{primary.pk}/ballots.csv").getvalue().decode())
        )
    )
    assert rows[0][0] == "ballot" and len(rows) == 3
    assert sorted(r[1] for r in rows[1:]) == [str(candidates[2])] * 2 or all(
        candidates[2].name in r[1] for r in rows[1:]
    )
    assert receipt not in "".join(",".join(r) for r in rows)
    agreement_page = client.get(pw.agreement.get_absolute_url()).content.decode()
    assert f"/primaries/{primary.pk}/" in agreement_page


def test_result_and_roll_pages_keep_a_constant_query_count(
    client, pw, lookup, travel, django_assert_num_queries
):
    primary = set_up(pw)
    travel(pw.at("registration"))
    client.force_login(pw.staff[0])
    roll_url = f"/primaries/agreement/{pw.agreement.pk}/roll/"
    counts = []
    for batch in (range(2), range(2, 25)):
        for i in batch:
            register_and_confirm(primary, f"q{i}@example.org")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(roll_url).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    travel(pw.at("voting"))
    services.ballots_send_due()
    ids = list(primary.candidates.values_list("pk", flat=True))
    mail_tokens = [link_token(m.body, "/primaries/vote/") for m in deliver() if "/vote/" in m.body]
    for token in mail_tokens:
        services.ballot_cast(token=token, ranking=ids)
    travel(pw.at("closed"))
    services.primaries_count_due()
    client.logout()
    with django_assert_num_queries(2):  # the primary (with winner), its candidates
        client.get(f"/primaries/{primary.pk}/result/")
    assert Ballot.objects.count() == 25


def _open_primary_elsewhere(pw, seat_name: str):
    """A second open-primary agreement (another seat, the same parties), set up and published
    like the first."""
    from seats import services as seat_services
    from tests.factories import ConstituencyFactory

    agreement = seat_services.agreement_propose(
        user=pw.staff[0],
        election=pw.agreement.election,
        constituency=ConstituencyFactory(name=seat_name),
        arrangement="open_primary",
        carries_hopes=pw.parties[0],
        stands_aside=pw.parties[1:],
        terms="Local voters choose.",
    )
    for party, person in zip(pw.parties, pw.staff, strict=True):
        agreement = seat_services.agreement_accept(agreement=agreement, user=person, party=party)
    return set_up(dataclasses.replace(pw, agreement=agreement))


def test_the_index_lists_published_primaries_never_one_being_set_up(client, pw, lookup, travel):
    primary = set_up(pw, accept=False)
    page = client.get("/primaries/").content.decode()
    assert "Primaryton" not in page  # the parties have not all accepted its rules
    assert "No open primary is coming up just now." in page
    for party, person in zip(pw.parties, pw.staff, strict=True):
        services.primary_accept(primary=primary, user=person, party=party)
    page = client.get("/primaries/").content.decode()
    assert f'href="/primaries/{primary.pk}/"' in page and "Registration opens" in page
    for party in pw.parties:
        assert f"{party.short_name} Candidate" in page and f">{party.short_name}</span>" in page
    travel(pw.at("registration"))
    assert "Register by" in client.get("/primaries/").content.decode()
    travel(pw.at("voting"))
    assert "Voting closes" in client.get("/primaries/").content.decode()


def test_the_index_names_the_winner_once_counted(client, pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    register_and_confirm(primary, "winner-voter@example.org")
    travel(pw.at("voting"))
    services.ballots_send_due()
    (token,) = [link_token(m.body, "/primaries/vote/") for m in deliver() if "/vote/" in m.body]
    green = primary.candidates.get(party__short_name="Green")
    services.ballot_cast(token=token, ranking=[green.pk])
    travel(pw.at("closed"))
    services.primaries_count_due()
    page = client.get("/primaries/").content.decode()
    results = page[page.index('id="declared"') :]
    assert f'href="/primaries/{primary.pk}/result/"' in results
    assert "Chosen: <strong>Green Candidate</strong>" in results
    assert "No open primary is coming up just now." in page
    advice = client.get(f"/seats/advice/{pw.seat.ons_code}/").content.decode()
    assert "vote Green" in advice and "The open primary has chosen" in advice
    assert "Green Candidate (Green) was chosen." in advice


def test_the_index_keeps_a_constant_query_count(client, pw, django_assert_num_queries):
    set_up(pw)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/primaries/").status_code == 200
    _open_primary_elsewhere(pw, "Secondton")
    with django_assert_num_queries(len(one)):
        page = client.get("/primaries/").content.decode()
    assert "Primaryton" in page and "Secondton" in page


def test_the_seats_advice_page_points_voters_to_its_primary(client, pw, lookup, travel):
    url = f"/seats/advice/{pw.seat.ons_code}/"
    primary = set_up(pw, accept=False)
    assert "Take part in the open primary" not in client.get(url).content.decode()  # cached
    for party, person in zip(pw.parties, pw.staff, strict=True):
        services.primary_accept(primary=primary, user=person, party=party)
    page = client.get(url).content.decode()
    assert "Take part in the open primary" in page and "Registration opens" in page
    assert f'href="/primaries/{primary.pk}/"' in page
    # Until it is counted, the advice names no party (the pact's roles are placeholders).
    assert "Local voters choose the candidate here in an open primary" in page
    assert "vote Labour" not in page
