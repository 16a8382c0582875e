"""Access to packages of seats (rows: tests/security/url_table.py PACKAGE_URLS): anonymous
visitors, outsiders, organisers of groups (covering its seats or not, until it is open to
consultation) and staff of a party outside the package are refused and change nothing; the
staff of its parties get through. Once open to consultation, an organiser of a group covering
one of its seats reads it (never the red lines) and comments, and nothing more. Every POST
needs the session's CSRF token."""

import pytest
from django.test import Client

from seats import packages
from seats import services as seat_services
from seats.models import AgreementPackage, PackageComment
from tests.factories import ConstituencyFactory, PartyStaffFactory
from tests.security.conftest import db_snapshot
from tests.security.url_table import PACKAGE_URLS, placeholders

RED_LINE = "P1 red line, never for organisers"


def _snapshot() -> dict:
    return {
        **db_snapshot(),
        "packages": list(
            AgreementPackage.objects.order_by("pk").values_list(
                "pk", "name", "status", "consultation_open"
            )
        ),
        "package_acceptances": list(
            AgreementPackage.objects.order_by("pk").values_list("acceptances__party_id")
        ),
        "package_seats": list(
            AgreementPackage.objects.order_by("pk").values_list("agreements__pk")
        ),
        "comments": list(PackageComment.objects.values_list("pk", "body")),
    }


@pytest.fixture
def package_world(world):
    """P1's staff bundled world.agreement and a second P1/P2 seat into a package."""
    agreement = world.agreement
    links = {ap.role: ap.party for ap in agreement.parties.all()}
    second = seat_services.agreement_propose(
        user=world.staff_p1,
        election=agreement.election,
        constituency=ConstituencyFactory(name="Swingford"),
        arrangement="stand_aside",
        carries_hopes=links["stands_aside"],
        stands_aside=[links["carries_hopes"]],
        red_lines=RED_LINE,
    )
    package = packages.package_propose(
        user=world.staff_p1,
        election=agreement.election,
        name="Marginal pair",
        agreements=[agreement, second],
    )
    values = {**placeholders(world), "package": package.pk, "group_b_pk": world.group_b.pk}
    world.staff_p2 = PartyStaffFactory(party=links["stands_aside"]).user
    return package, values


def _request(client, values, method, path, data_factory):
    url = path.format(**values)
    data = {k: str(v).format(**values) for k, v in (data_factory or dict)().items()}
    return getattr(client, method)(url, data)


def _refused(response, *, anonymous=False):
    if anonymous and response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/"), response["Location"]
    else:
        assert response.status_code in {403, 404}, response.status_code


def _ids(rows):
    return [row[0] for row in rows]


@pytest.mark.parametrize("name, method, path, data", PACKAGE_URLS, ids=_ids(PACKAGE_URLS))
def test_refused_to_everyone_outside_the_package(
    client, world, package_world, name, method, path, data
):
    _, values = package_world
    before = _snapshot()
    _refused(_request(client, values, method, path, data), anonymous=True)
    # Staff of another party, organisers (group B covers a seat, but no consultation yet),
    # outsiders.
    world.group_b.constituencies.add(world.agreement.constituency)
    for who in ("staff_p3", "organiser_a", "organiser_b", "outsider"):
        client.force_login(getattr(world, who))
        response = _request(client, values, method, path, data)
        text = response.content.decode(errors="replace")
        if who == "staff_p3" and "{package}" not in path:
            # Any party's staff have a package list and form: P3's own, empty of P1/P2's.
            assert response.status_code == 200
            assert "Marginal pair" not in text and "Swingford" not in text
        else:
            _refused(response, anonymous=False)
        assert RED_LINE not in text
        assert _snapshot() == before, who


STAFF_ONLY = [row for row in PACKAGE_URLS if row[0] != "package comment (post)"]


@pytest.mark.parametrize("name, method, path, data", STAFF_ONLY, ids=_ids(STAFF_ONLY))
def test_consulted_organisers_may_read_and_comment_only(
    client, world, package_world, name, method, path, data
):
    package, values = package_world
    world.group_b.constituencies.add(world.agreement.constituency)
    packages.package_consultation_open(package=package, user=world.staff_p1)
    before = _snapshot()
    client.force_login(world.organiser_b)
    response = _request(client, values, method, path, data)
    if name == "package page (not yet agreed)":
        assert response.status_code == 200
        assert RED_LINE not in response.content.decode()
    else:
        _refused(response)
    assert _snapshot() == before
    client.force_login(world.organiser_a)  # group A covers none of its seats
    _refused(_request(client, values, method, path, data))


def test_a_consulted_organiser_comments_for_their_own_group_only(client, world, package_world):
    package, values = package_world
    world.group_b.constituencies.add(world.agreement.constituency)
    world.group_a.constituencies.add(world.agreement.constituency)
    packages.package_consultation_open(package=package, user=world.staff_p1)
    comment = next(row for row in PACKAGE_URLS if row[0] == "package comment (post)")
    client.force_login(world.organiser_a)  # covers the seat, but posts for group B
    response = _request(client, values, *comment[1:])
    assert response.status_code == 302
    assert not PackageComment.objects.exists()  # the form refused a group not theirs
    client.force_login(world.organiser_b)
    assert _request(client, values, *comment[1:]).status_code == 302
    assert PackageComment.objects.get().group == world.group_b


GETS = [row for row in PACKAGE_URLS if row[1] == "get"]


@pytest.mark.parametrize("name, method, path, data", GETS, ids=_ids(GETS))
def test_staff_of_the_packages_parties_get_its_pages(
    client, world, package_world, name, method, path, data
):
    _, values = package_world
    client.force_login(world.staff_p1)
    response = _request(client, values, method, path, data)
    assert response.status_code == 200
    if "{package}" in path:
        assert RED_LINE in response.content.decode()


def test_staff_of_one_party_cannot_accept_for_the_other(client, world, package_world):
    package, values = package_world
    client.force_login(world.staff_p1)
    accept = next(row for row in PACKAGE_URLS if row[0] == "package accept (post)")
    before = _snapshot()
    _request(client, values, *accept[1:])  # P2, not P1's to accept
    assert _snapshot() == before


POSTS = [row for row in PACKAGE_URLS if row[1] == "post"]


@pytest.mark.parametrize("name, method, path, data", POSTS, ids=_ids(POSTS))
def test_package_posts_need_this_sessions_csrf_token(
    world, package_world, name, method, path, data
):
    package, values = package_world
    world.group_b.constituencies.add(world.agreement.constituency)
    packages.package_consultation_open(package=package, user=world.staff_p1)
    who = {"package comment (post)": world.organiser_b, "package accept (post)": world.staff_p2}
    who = who.get(name, world.staff_p1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(who)
    before = _snapshot()
    assert _request(client, values, method, path, data).status_code == 403
    assert _snapshot() == before
    assert client.get("/accounts/password/reset/").status_code == 200
    token = client.cookies["csrftoken"].value
    url = path.format(**values)
    payload = {k: str(v).format(**values) for k, v in (data or dict)().items()}
    foreign = client.post(
        url, {**payload, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example.net"
    )
    assert foreign.status_code == 403, "foreign origin"
    assert _snapshot() == before
    response = client.post(url, {**payload, "csrfmiddlewaretoken": token})
    assert response.status_code in {200, 302}
