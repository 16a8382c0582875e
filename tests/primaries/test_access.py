"""Access to every primaries URL: the staff tools refuse anonymous visitors (to sign in),
signed-in strangers, staff of a party outside the agreement and plain site staff, and change
nothing when they do; the staff of a party in the agreement get through. Public pages do not
exist for a primary still being set up."""

import pytest
from django.urls import resolve

from primaries import services
from tests.factories import UserFactory
from tests.primaries.conftest import fill, roll_snapshot, set_up
from tests.security.url_table import PRIMARY_POSTS, PRIMARY_STAFF_URLS

pytestmark = pytest.mark.django_db

ROWS = PRIMARY_STAFF_URLS


def _ids(rows):
    return [row[0] for row in rows]


def _request(client, placeholders, method, path, data):
    url, payload = fill(placeholders, path, data)
    return getattr(client, method)(url, payload or {})


@pytest.mark.parametrize("name, method, path, data", ROWS, ids=_ids(ROWS))
def test_staff_tools_refuse_everyone_outside_the_agreement(
    client, hostile, name, method, path, data
):
    placeholders, users = hostile
    before = roll_snapshot()
    response = _request(client, placeholders, method, path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    site_staff = UserFactory(is_staff=True)  # runs the site, not a party
    for who in (users["stranger"], users["outsider_staff"], site_staff):
        client.force_login(who)
        response = _request(client, placeholders, method, path, data)
        assert response.status_code in {403, 404}, (who, response.status_code)
        assert "confirmed@example.org" not in response.content.decode()
    assert roll_snapshot() == before


GETS = [row for row in ROWS if row[1] == "get"]


@pytest.mark.parametrize("name, method, path, data", GETS, ids=_ids(GETS))
def test_staff_of_every_party_in_the_agreement_get_the_staff_pages(
    client, hostile, name, method, path, data
):
    placeholders, users = hostile
    for who in ("staff_p1", "staff_p2"):
        client.force_login(users[who])
        assert _request(client, placeholders, method, path, data).status_code == 200


def test_the_staff_posts_are_real(client, hostile):
    placeholders, users = hostile
    client.force_login(users["staff_p1"])
    review = next(row for row in ROWS if row[0] == "primary review (post)")
    assert _request(client, placeholders, *review[1:]).status_code == 302
    from primaries.models import Voter

    assert Voter.objects.get(pk=placeholders["voter"]).status == "struck"


def test_staff_of_one_party_cannot_act_for_another_party_in_it(client, hostile):
    """Staff of P2 posting P1's candidate or acceptance: the form refuses a party not theirs."""
    placeholders, users = hostile
    client.force_login(users["staff_p2"])
    before = roll_snapshot()
    for name in ("primary candidate (post)", "primary accept (post)"):
        row = next(r for r in ROWS if r[0] == name)
        response = _request(client, placeholders, *row[1:])
        assert response.status_code in {400, 403}
    assert roll_snapshot() == before


PUBLIC = ["", "can-i-vote/?postcode=PR1+1AA", "register/", "register/sent/", "receipt/?code=x",
          "result/", "ballots.csv"]  # fmt: skip


@pytest.mark.parametrize("suffix", PUBLIC)
def test_public_pages_do_not_exist_while_the_primary_is_being_set_up(client, pw, suffix):
    primary = set_up(pw, accept=False)
    client.force_login(pw.staff[0])  # not even for the parties' staff
    assert client.get(f"/primaries/{primary.pk}/{suffix}").status_code == 404


def test_guessed_links_are_404(client, pw):
    set_up(pw)
    for url in (
        "/primaries/confirm/forged/",
        "/primaries/vote/forged/",
        "/primaries/99999/",
        "/primaries/agreement/99999/",
    ):
        client.force_login(pw.staff[0])
        assert client.get(url).status_code == 404, url


def test_an_agreement_that_is_not_an_open_primary_has_no_primary(client, pw):
    pw.agreement.arrangement = "stand_aside"
    pw.agreement.save()
    client.force_login(pw.staff[0])
    assert client.get(f"/primaries/agreement/{pw.agreement.pk}/").status_code == 404


# candidate_photo: public once the primary is published, before that its parties' staff only
# (the "no" for anonymous visitors and outside staff: tests/primaries/test_photos.py).
FOR_EVERYONE = {"index", "detail", "can_i_vote", "register", "registered", "receipt", "result",
                "ballots_csv", "confirm", "vote", "candidate_photo"}  # fmt: skip


def test_every_primaries_url_is_in_the_table_or_for_everyone(hostile):
    import primaries.urls

    placeholders, _users = hostile
    in_table = set()
    for _name, _method, path, data in ROWS:
        in_table.add(resolve(fill(placeholders, path, data)[0]).url_name)
    posts = {resolve(fill(placeholders, row[2], row[3])[0]).url_name for row in PRIMARY_POSTS}
    names = {pattern.name for pattern in primaries.urls.urlpatterns}
    assert names == in_table | FOR_EVERYONE
    assert not in_table & FOR_EVERYONE
    assert {"rules", "candidate", "accept", "review", "register", "confirm", "vote"} == posts


def test_a_refused_accept_by_other_party_staff_leaves_the_rules_unaccepted(pw):
    """The service itself (not only the view) refuses: defence in depth."""
    primary = set_up(pw, accept=False)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        services.primary_accept(primary=primary, user=pw.outsider_staff, party=pw.parties[0])
    assert primary.acceptances.count() == 0
