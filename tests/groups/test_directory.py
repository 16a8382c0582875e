"""The groups directory: filters, paging that keeps filters, and a fixed number of queries."""

import re

import pytest
from django.urls import reverse

from groups.models import GroupKind
from groups.views import PAGE_SIZE
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyBranchFactory,
    PartyFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("groups:list")


def names(response) -> list[str]:
    return [group.name for group in response.context["page_obj"]]


@pytest.fixture
def directory():
    greens = PartyFactory(name="Green Party", short_name="Green", slug="green-party")
    labour = PartyFactory(name="Labour", short_name="Lab", slug="labour")
    north = ConstituencyFactory(name="Northfield (sample)")
    south = ConstituencyFactory(name="Southmere (sample)")
    groups = {
        "green_branch": PartyBranchFactory(
            name="Northfield Greens", party=greens, region="E12000001"
        ),
        "labour_branch": PartyBranchFactory(
            name="Southmere Labour", party=labour, region="E12000009"
        ),
        "pro_eu": GroupFactory(
            name="Northfield for Europe",
            kind=GroupKind.PRO_EU,
            region="E12000001",
            description="Rejoin campaigners meeting monthly.",
        ),
        "alliance": GroupFactory(
            name="Southmere Progressive Alliance",
            kind=GroupKind.PROGRESSIVE_ALLIANCE,
            region="E12000009",
        ),
    }
    groups["green_branch"].constituencies.add(north)
    groups["pro_eu"].constituencies.add(north)
    groups["labour_branch"].constituencies.add(south)
    return {"groups": groups, "north": north, "south": south}


def test_unfiltered_lists_everything_alphabetically(client, directory):
    assert names(client.get(URL)) == [
        "Northfield for Europe",
        "Northfield Greens",
        "Southmere Labour",
        "Southmere Progressive Alliance",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "party_branch"}, ["Northfield Greens", "Southmere Labour"]),
        ({"kind": "progressive_alliance"}, ["Southmere Progressive Alliance"]),
        ({"party": "green-party"}, ["Northfield Greens"]),
        ({"region": "E12000001"}, ["Northfield for Europe", "Northfield Greens"]),
        ({"q": "rejoin"}, ["Northfield for Europe"]),  # description
        ({"q": "labour"}, ["Southmere Labour"]),  # name and party name
        ({"q": "  SOUTHMERE "}, ["Southmere Labour", "Southmere Progressive Alliance"]),
        ({"kind": "party_branch", "region": "E12000009"}, ["Southmere Labour"]),
        ({"q": "nothing matches this"}, []),
    ],
)
def test_filters(client, directory, params, expected):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert names(response) == expected


def test_constituency_filter(client, directory):
    response = client.get(URL, {"constituency": directory["north"].pk})
    assert names(response) == ["Northfield for Europe", "Northfield Greens"]
    response = client.get(URL, {"constituency": directory["south"].pk})
    assert names(response) == ["Southmere Labour"]


@pytest.mark.parametrize(
    "params",
    [{"kind": "nonsense"}, {"party": "no-such-party"}, {"constituency": "abc"}, {"page": "x"}],
)
def test_bad_filter_input_never_500s(client, directory, params):
    response = client.get(URL, params)
    assert response.status_code == 200


def test_open_filters_show_and_clear_link(client, directory):
    page = client.get(URL).content.decode()
    assert "<details>" in page and "Clear filters" not in page
    page = client.get(URL, {"kind": "pro_eu"}).content.decode()
    assert "<details open>" in page and "Clear filters" in page


def test_paging_keeps_filters(client):
    for index in range(PAGE_SIZE + 5):
        GroupFactory(name=f"Pro EU {index:02d}", kind=GroupKind.PRO_EU, region="E12000007")
    GroupFactory.create_batch(3, kind=GroupKind.OTHER, region="E12000007")
    response = client.get(URL, {"kind": "pro_eu", "region": "E12000007"})
    assert len(names(response)) == PAGE_SIZE
    page = response.content.decode()
    next_link = re.search(r'href="\?([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "kind=pro_eu" in next_link and "region=E12000007" in next_link
    assert "page=2" in next_link
    second = client.get(f"{URL}?{next_link}")
    assert names(second) == [f"Pro EU {index:02d}" for index in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert "Page 2 of 2" in second.content.decode()
    prev_link = re.search(r'href="\?([^"]+)" rel="prev"', second.content.decode()).group(1)
    assert "kind=pro_eu" in prev_link and "page=1" in prev_link


def _make_groups(count: int) -> None:
    party = PartyFactory()
    seat = ConstituencyFactory()
    for index in range(count):
        group = PartyBranchFactory(party=party) if index % 2 else GroupFactory(description="x" * 40)
        group.constituencies.add(seat)
        MembershipFactory.create_batch(2, group=group)


# Paginator count, the page of groups (party and member count joined in), the party options and
# the constituency options of the filter form.
DIRECTORY_QUERIES = 4


@pytest.mark.parametrize("count", [5, 60])
def test_directory_runs_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    _make_groups(count)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(names(response)) == min(count, PAGE_SIZE)


@pytest.mark.parametrize("count", [5, 60])
def test_filtered_directory_runs_the_same_number_of_queries(
    client, django_assert_num_queries, count
):
    _make_groups(count)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = client.get(URL, {"kind": "party_branch", "q": "Group", "page": "2"})
    assert response.status_code == 200
