"""The board, the projector, the results, the statement and the region pages run a fixed
number of queries whatever the size of the round."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from priorities import live, services
from tests.priorities.conftest import participant_client, seeded_round

pytestmark = pytest.mark.django_db


def _pages(round_):
    base = f"/priorities/{round_.pk}"
    return {
        "board": f"{base}/board/",
        "board live": f"{base}/board/live/",
        "projector": f"{base}/projector/",
        "projector live": f"{base}/projector/live/",
        "results": f"{base}/results/",
    }


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("page", ["board", "board live", "projector", "projector live", "results"])
def test_round_pages_keep_a_constant_query_count(page, django_assert_num_queries):
    counts = []
    for size in (3, 40):
        round_, organiser = seeded_round(participants=size)
        client = Client()
        client.force_login(organiser)
        url = _pages(round_)[page]
        client.get(url)  # warm the session
        counts.append(_count(client, url))
    small, large = counts
    assert small == large, f"{page}: {small} queries with 3 participants, {large} with 40"
    # And the figure itself, held by django_assert_num_queries on the bigger round.
    with django_assert_num_queries(large):
        client.get(url)


@pytest.mark.parametrize("page", ["board live", "projector live"])
def test_live_parts_are_read_once_per_version(page):
    """The first render after a change reads the round (a fixed number of queries whatever
    its size); every other poll of that version is served from the cache with only the access
    check's queries."""
    misses, hits = [], []
    for size in (3, 40):
        round_, organiser = seeded_round(participants=size)
        client = Client()
        client.force_login(organiser)
        url = _pages(round_)[page]
        client.get(url)  # warm the session
        live.round_changed(round_.pk)
        misses.append(_count(client, url))
        hits.append(_count(client, url))
    assert misses[0] == misses[1]
    assert hits[0] == hits[1]
    assert hits[1] < misses[1]


def test_statement_and_region_pages_keep_a_constant_query_count(django_assert_num_queries):
    counts = []
    for size in (3, 30):
        round_, organiser = seeded_round(participants=size)
        services.round_close(round_=round_)
        statement = services.statement_create(round_=round_, created_by=organiser, title="S")
        client = Client()
        # statement, endorsements, linked groups, seats, clusters, notes, dots, parties,
        # who took part (the progress chart)
        with django_assert_num_queries(9):
            client.get(statement.get_absolute_url())
        counts.append(_count(client, f"/priorities/regions/{round_.group.region}/"))
    assert counts[0] == counts[1]


def test_participant_page_and_vote_panel_constant():
    counts = []
    for size in (3, 40):
        round_, _organiser = seeded_round(participants=size)
        phone = participant_client(round_)
        for url in (round_.get_absolute_url(), f"/priorities/{round_.pk}/vote/"):
            counts.append(_count(phone, url))
    assert counts[0] == counts[2]
    assert counts[1] == counts[3]
