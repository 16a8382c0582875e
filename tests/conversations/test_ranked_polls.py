"""Ranked-choice polls: put with 2 to 10 options, every option ranked once, rankings changeable
until the deadline and refused after it, counted by instant run-off with the primaries' count
(a textbook election where the first-preference leader loses; agreement with pyrankvote on
random elections), closed by the proposals' beat path with one outcome email each, the page for
participants and nobody else at a constant query count, and the rankings in the account's
export and erase."""

import random
from datetime import timedelta

import pyrankvote
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import user_data_export, user_delete
from conversations import services
from conversations.models import (
    Participant,
    Proposal,
    RankedBallot,
    RankedOption,
)
from conversations.polls import ranked_result
from outbox.models import OutboxEmail
from tests.conversations.conftest import remind_close_and_record
from tests.factories import UserFactory

CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def _poll(cast, conversation, *, options=("Leaflets", "Canvassing", "Phone bank"), days=2):
    return services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="What should we do first?",
        details="",
        deadline=timezone.now() + timedelta(days=days),
        ranked_options=list(options),
    )


def _ids(poll, *labels) -> list[int]:
    by_label = dict(poll.ranked_options.values_list("label", "pk"))
    return [by_label[label] for label in labels]


# --- The count -----------------------------------------------------------------------------


def test_the_textbook_election_where_the_first_preference_leader_loses():
    """Tennessee choosing its capital (the Wikipedia IRV example): Memphis leads on first
    preferences (42%) but Knoxville wins once Chattanooga and then Nashville are eliminated."""
    m, n, c, k = range(1, 5)
    result = ranked_result(
        list(zip([m, n, c, k], CITIES, strict=True)),
        [([m, n, c, k], 42), ([n, c, k, m], 26), ([c, k, n, m], 15), ([k, c, n, m], 17)],
    )
    assert [(line.label, line.votes) for line in result.first_preferences] == [
        ("Memphis", 42), ("Nashville", 26), ("Chattanooga", 15), ("Knoxville", 17),
    ]  # fmt: skip
    first, second, last = result.rounds
    assert first.eliminated == "Chattanooga"
    assert [(t.label, t.change) for t in first.transfers] == [("Knoxville", 15)]
    assert second.eliminated == "Nashville"
    assert [(t.label, t.change) for t in second.transfers] == [("Knoxville", 26)]
    assert [(line.label, line.votes) for line in last.lines] == [("Knoxville", 58), ("Memphis", 42)]
    assert last.eliminated is None and result.winner == "Knoxville"


def _pyrankvote_winner(labels, ballots):
    people = {label: pyrankvote.Candidate(label) for label in labels}
    papers = [pyrankvote.Ballot(ranked_candidates=[people[c] for c in b]) for b in ballots]
    return pyrankvote.instant_runoff_voting(list(people.values()), papers).get_winners()[0].name


def _decisive_ties(result) -> int:
    """Ties broken between options that had votes: there the two rules may differ by design."""
    return sum(1 for r in result.count.rounds if r.tie_broken and r.tallies[r.eliminated] > 0)


def _random_election(rnd):
    labels = [f"Option {i}" for i in range(rnd.randint(2, 10))]
    weights = {label: rnd.random() + 0.05 for label in labels}
    ballots = [
        sorted(labels, key=lambda label: -rnd.random() * weights[label])
        for _ in range(rnd.randint(3, 60))
    ]  # every option ranked, as the poll asks
    return labels, ballots


def test_the_count_agrees_with_pyrankvote_on_400_random_elections():
    rnd = random.Random(13)
    compared = 0
    for _ in range(400):
        labels, ballots = _random_election(rnd)
        options = list(enumerate(labels, start=1))
        pk = {label: i for i, label in options}
        grouped: dict[tuple, int] = {}
        for ballot in ballots:
            key = tuple(pk[label] for label in ballot)
            grouped[key] = grouped.get(key, 0) + 1
        ours = ranked_result(options, list(grouped.items()))
        if _decisive_ties(ours):
            continue
        assert ours.winner == _pyrankvote_winner(labels, ballots), ballots
        compared += 1
    assert compared > 250  # the tie-break set aside only a few (small electorates tie)


def test_the_poll_counted_from_the_database_agrees_with_pyrankvote(cast, conversation):
    """The same comparison through the ballots table (GROUP BY ranking) on 25 polls."""
    rnd = random.Random(31)
    for n in range(25):
        labels, ballots = _random_election(rnd)
        poll = _poll(cast, conversation, options=labels)
        pk = dict(poll.ranked_options.values_list("label", "pk"))
        RankedBallot.objects.bulk_create(
            RankedBallot(proposal=poll, user=None, ranking=[pk[label] for label in ballot])
            for ballot in ballots
        )  # anonymous ballots, as an erased account leaves them
        ours = services.ranked_poll_result(poll)
        assert ours.ballots == len(ballots)
        if not _decisive_ties(ours):
            assert ours.winner == _pyrankvote_winner(labels, ballots), n


# --- Services ------------------------------------------------------------------------------


def test_a_poll_offers_two_to_ten_different_options(cast, conversation):
    for options in (["Only one"], ["Same", " same "], [f"O{i}" for i in range(11)], ["", "x"]):
        with pytest.raises(ValidationError):
            _poll(cast, conversation, options=options)
    poll = _poll(cast, conversation, options=["  Leaflets ", "Canvassing", "", "Phone bank"])
    assert poll.is_ranked_poll
    assert list(poll.ranked_options.values_list("label", "position")) == [
        ("Leaflets", 1), ("Canvassing", 2), ("Phone bank", 3),
    ]  # fmt: skip
    assert OutboxEmail.objects.filter(key=f"proposal-new:{poll.pk}:{cast.pro_eu_organiser.pk}")


def test_a_ranking_ranks_every_option_once_and_changes_until_the_deadline(cast, conversation):
    poll = _poll(cast, conversation)
    organiser = cast.pro_eu_organiser
    for bad in (
        _ids(poll, "Leaflets", "Canvassing"),  # one left out
        _ids(poll, "Leaflets", "Leaflets", "Canvassing"),  # a repeat
        [*_ids(poll, "Leaflets", "Canvassing"), 999_999],  # not an option
    ):
        with pytest.raises(ValidationError):
            services.ranked_ballot_set(proposal=poll, user=organiser, ranking=bad)
    services.ranked_ballot_set(
        proposal=poll, user=organiser, ranking=_ids(poll, "Leaflets", "Canvassing", "Phone bank")
    )
    services.ranked_ballot_set(
        proposal=poll, user=organiser, ranking=_ids(poll, "Phone bank", "Leaflets", "Canvassing")
    )
    assert RankedBallot.objects.get().ranking == _ids(poll, "Phone bank", "Leaflets", "Canvassing")
    assert services.ranked_poll_result(poll).winner == "Phone bank"
    with pytest.raises(ValidationError):
        services.answer_set(proposal=poll, user=organiser, position="agree", reason="x")
    Proposal.objects.filter(pk=poll.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="closed"):
        services.ranked_ballot_set(
            proposal=poll,
            user=organiser,
            ranking=_ids(poll, "Leaflets", "Canvassing", "Phone bank"),
        )
    assert RankedBallot.objects.get().ranking[0] == _ids(poll, "Phone bank")[0]


def test_the_textbook_election_as_a_poll_in_a_conversation(cast, conversation):
    """The Tennessee shape with eight voters: Memphis leads the first round and loses."""
    poll = _poll(cast, conversation, options=CITIES)
    shapes = [CITIES] * 3 + [CITIES[1:3] + CITIES[3:] + CITIES[:1]] * 2
    shapes += [["Chattanooga", "Knoxville", "Nashville", "Memphis"]]
    shapes += [["Knoxville", "Chattanooga", "Nashville", "Memphis"]] * 2
    for i, shape in enumerate(shapes):
        voter = UserFactory(name=f"Voter {i}")
        Participant.objects.create(conversation=conversation, user=voter)
        services.ranked_ballot_set(proposal=poll, user=voter, ranking=_ids(poll, *shape))
    result = services.ranked_poll_result(poll)
    assert [line.votes for line in result.first_preferences] == [3, 2, 1, 2]
    assert [r.eliminated for r in result.rounds] == ["Chattanooga", "Nashville", None]
    assert result.winner == "Knoxville"


def test_the_beat_path_closes_it_and_each_participant_gets_one_outcome(cast, conversation):
    poll = _poll(cast, conversation, days=1)
    services.ranked_ballot_set(
        proposal=poll,
        user=cast.pro_eu_organiser,
        ranking=_ids(poll, "Canvassing", "Leaflets", "Phone bank"),
    )
    outcomes = remind_close_and_record(
        cast, conversation, poll, answered_by=cast.pro_eu_organiser, outcome="Canvassing."
    )
    assert "Winner (instant run-off, 1 ranking): Canvassing" in outcomes.first().body_text


def test_rankings_are_exported_and_kept_without_a_name_on_erase(cast, conversation):
    poll = _poll(cast, conversation)
    organiser = cast.pro_eu_organiser
    services.ranked_ballot_set(
        proposal=poll, user=organiser, ranking=_ids(poll, "Canvassing", "Phone bank", "Leaflets")
    )
    (exported,) = user_data_export(user=organiser)["conversations"]["ranked_poll_rankings"]
    assert exported["poll"] == "What should we do first?"
    assert exported["ranking"] == ["Canvassing", "Phone bank", "Leaflets"]
    user_delete(user=organiser)
    assert RankedBallot.objects.get().user is None
    assert services.ranked_poll_result(poll).winner == "Canvassing"


# --- Over HTTP -----------------------------------------------------------------------------


def _form(when, **options) -> dict:
    return {
        "statement": "What first? <b>now</b>",
        "deadline": when.strftime("%Y-%m-%dT%H:%M"),
        **options,
    }


def test_a_participant_puts_a_poll_and_ranks_over_http(client, cast, conversation):
    client.force_login(cast.pro_eu_organiser)
    url = f"/conversations/{conversation.pk}/ranked/new/"
    assert "Option 10 (optional)" in client.get(url).content.decode()
    when = timezone.localtime(timezone.now() + timedelta(days=2))
    response = client.post(url, _form(when, option_1="Leaflets"))
    assert response.status_code == 400, "two options at least"
    response = client.post(url, _form(when, option_1="Leaflets", option_2="leaflets"))
    assert response.status_code == 400
    assert "Offer between 2 and 10 different options." in response.content.decode()
    response = client.post(url, _form(when, option_1="Leaflets", option_2="Canvassing"))
    assert response.status_code == 302
    poll = Proposal.objects.get(kind="ranked")
    assert response["Location"] == poll.get_absolute_url()
    page = client.get(poll.get_absolute_url()).content.decode()
    assert "Rank the options" in page and "&lt;b&gt;now" in page
    assert "Nobody has ranked the options yet." in page
    leaflets, canvassing = _ids(poll, "Leaflets", "Canvassing")
    vote_url = f"/conversations/proposals/{poll.pk}/vote/"

    response = client.post(vote_url, {f"rank-{leaflets}": "1", f"rank-{canvassing}": "1"})
    assert response.status_code == 400
    assert "Use each rank once" in response.content.decode()
    response = client.post(vote_url, {f"rank-{leaflets}": "1"})
    assert response.status_code == 400 and not RankedBallot.objects.exists()

    response = client.post(vote_url, {f"rank-{leaflets}": "2", f"rank-{canvassing}": "1"})
    assert response.status_code == 302
    assert RankedBallot.objects.get().ranking == [canvassing, leaflets]
    page = client.get(poll.get_absolute_url()).content.decode()
    assert "Leading: <strong>Canvassing</strong>" in page
    assert '<option value="1" selected>1st choice</option>' in page  # the ranking is kept
    client.post(vote_url, {f"rank-{leaflets}": "1", f"rank-{canvassing}": "2"})  # changed
    assert RankedBallot.objects.get().ranking == [leaflets, canvassing]
    assert "ranked-choice poll" in client.get(conversation.get_absolute_url()).content.decode()

    Proposal.objects.filter(pk=poll.pk).update(deadline=timezone.now())  # time passes
    response = client.post(vote_url, {f"rank-{leaflets}": "2", f"rank-{canvassing}": "1"})
    assert response.status_code == 400
    assert "This poll is closed: rankings can no longer change." in response.content.decode()
    services.proposals_close_due()
    page = client.get(poll.get_absolute_url()).content.decode()
    assert "Winner: <strong>Leaflets</strong>" in page and "Save my ranking" not in page
    response = client.post(vote_url, {f"rank-{leaflets}": "2", f"rank-{canvassing}": "1"})
    assert response.status_code == 400 and RankedBallot.objects.get().ranking[0] == leaflets


@pytest.mark.parametrize("who", ["outsider", "other_member", "other_organiser", "other_staff"])
def test_nobody_else_sees_puts_or_ranks(client, cast, conversation, who):
    poll = _poll(cast, conversation)
    first, second, third = _ids(poll, "Leaflets", "Canvassing", "Phone bank")
    ranking = {f"rank-{first}": "1", f"rank-{second}": "2", f"rank-{third}": "3"}
    when = timezone.localtime(timezone.now() + timedelta(days=2))
    requests = [
        ("get", poll.get_absolute_url(), None),
        ("post", f"/conversations/proposals/{poll.pk}/vote/", ranking),
        ("get", f"/conversations/{conversation.pk}/ranked/new/", None),
        ("post", f"/conversations/{conversation.pk}/ranked/new/",
         _form(when, option_1="A", option_2="B")),
    ]  # fmt: skip
    for method, url, data in requests:
        client.logout()
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        client.force_login(getattr(cast, who))
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 404, (who, url)
        assert "What should we do first?" not in response.content.decode()
    assert not RankedBallot.objects.exists()
    assert Proposal.objects.count() == 1


def test_a_proposal_or_time_poll_takes_no_ranking(client, cast, conversation):
    proposal = services.proposal_create(
        conversation=conversation, proposer=cast.staffer, statement="Merge", details="",
        deadline=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    client.force_login(cast.pro_eu_organiser)
    assert client.post(f"/conversations/proposals/{proposal.pk}/vote/", {}).status_code == 404
    with pytest.raises(ValidationError):
        services.ranked_ballot_set(proposal=proposal, user=cast.pro_eu_organiser, ranking=[])


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_poll_page_query_count_is_constant(client, cast, conversation):
    poll = _poll(cast, conversation, options=CITIES)
    client.force_login(cast.pro_eu_organiser)
    services.ranked_ballot_set(
        proposal=poll, user=cast.pro_eu_organiser, ranking=_ids(poll, *CITIES)
    )
    one = _queries(client, poll.get_absolute_url())
    rnd = random.Random(5)
    for i in range(40):
        voter = UserFactory(name=f"Voter {i}")
        Participant.objects.create(conversation=conversation, user=voter)
        services.ranked_ballot_set(
            proposal=poll, user=voter, ranking=_ids(poll, *rnd.sample(CITIES, len(CITIES)))
        )
    assert _queries(client, poll.get_absolute_url()) == one
    assert RankedOption.objects.filter(proposal=poll).count() == 4
