"""Access: every organiser, staff and export URL of groups, events, petitions and seats refuses
anonymous visitors (to sign in), members of other groups, organisers of other groups guessing
group B's ids, and plain members of group B; nothing changes in the database after a refused
POST. Group B's own organiser (and the right staff) get through: the URLs are real."""

import pytest
from django.test import Client

from groups.models import InvitationStatus, Role
from tests.security.conftest import db_snapshot
from tests.security.url_table import (
    CLASH_TAKEOVER_EXPECTED,
    CLASH_TAKEOVER_URLS,
    COALITION_URLS,
    GUEST_RSVP_URLS,
    INVITATION_URLS,
    LINK_END_URLS,
    ORGANISER_URLS,
    PACKAGE_URLS,
    PETITION_RESPONSE_URLS,
    STAFF_URLS,
    STALL_URLS,
    SWAP_CHOICE_URLS,
    SWAP_URLS,
    fill,
)

ALL = ORGANISER_URLS + STAFF_URLS + SWAP_URLS
SEAT_AGREEMENT_ROWS = [row for row in STAFF_URLS if "{agreement}" in row[2]]
SITE_STAFF_ROWS = [
    row for row in STAFF_URLS if row[2].startswith(("/petitions/staff/", "/seats/elections/"))
]


def _ids(rows):
    return [row[0] for row in rows]


def _request(client: Client, world, method: str, path: str, data_factory):
    url, data = fill(world, path, data_factory)
    return getattr(client, method)(url, data or {})


def _assert_refused(response, *, anonymous: bool) -> None:
    if anonymous and response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/"), response["Location"]
    elif anonymous:  # pages that are public for some objects hide the others
        assert response.status_code == 404, response.status_code
    else:
        assert response.status_code in {403, 404}, response.status_code


def _assert_no_leak(response, world) -> None:
    text = response.content.decode(errors="replace")
    for secret in (world.member_b.email, world.organiser_b.email, "P2 stands aside."):
        assert secret not in text


@pytest.mark.parametrize("name, method, path, data", ALL, ids=_ids(ALL))
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name, method, path, data):
    before = db_snapshot()
    response = _request(client, world, method, path, data)
    _assert_refused(response, anonymous=True)
    assert db_snapshot() == before


@pytest.mark.parametrize("name, method, path, data", ORGANISER_URLS, ids=_ids(ORGANISER_URLS))
def test_organiser_tools_refuse_everyone_but_group_b_organisers(
    client, world, name, method, path, data
):
    before = db_snapshot()
    for who in ["organiser_a", "member_a", "member_b", "outsider"]:
        client.force_login(getattr(world, who))
        response = _request(client, world, method, path, data)
        _assert_refused(response, anonymous=False)
        _assert_no_leak(response, world)
        assert db_snapshot() == before, who


@pytest.mark.parametrize("name, method, path, data", STAFF_URLS, ids=_ids(STAFF_URLS))
def test_staff_pages_refuse_people_who_are_not_staff(client, world, name, method, path, data):
    before = db_snapshot()
    for who in ["organiser_a", "organiser_b", "outsider"]:
        client.force_login(getattr(world, who))
        response = _request(client, world, method, path, data)
        _assert_refused(response, anonymous=False)
        _assert_no_leak(response, world)
        assert db_snapshot() == before, who


@pytest.mark.parametrize(
    "name, method, path, data", SEAT_AGREEMENT_ROWS, ids=_ids(SEAT_AGREEMENT_ROWS)
)
def test_staff_of_a_party_outside_the_agreement_are_refused(
    client, world, name, method, path, data
):
    client.force_login(world.staff_p3)
    before = db_snapshot()
    response = _request(client, world, method, path, data)
    _assert_refused(response, anonymous=False)
    assert db_snapshot() == before


@pytest.mark.parametrize("name, method, path, data", SITE_STAFF_ROWS, ids=_ids(SITE_STAFF_ROWS))
def test_party_staff_are_not_site_staff(client, world, name, method, path, data):
    client.force_login(world.staff_p1)
    before = db_snapshot()
    _assert_refused(_request(client, world, method, path, data), anonymous=False)
    assert db_snapshot() == before


def test_someone_elses_vote_swap_cannot_be_confirmed_or_read(client, world):
    before = db_snapshot()
    for who in ["outsider", "organiser_b", "staff_p1"]:
        client.force_login(getattr(world, who))
        response = client.post(f"/seats/swap/{world.swap.pk}/confirm/")
        # The view answers with a message on the swap page; what matters is nothing changed.
        assert response.status_code in {302, 403, 404}
        assert db_snapshot() == before
        page = client.get("/seats/swap/")
        assert page.status_code == 200
        for swapper in (world.swapper_a, world.swapper_b):
            assert swapper.email not in page.content.decode()
            assert swapper.name not in page.content.decode()


def test_swap_partner_contact_details_only_after_both_confirm(client, world):
    client.force_login(world.swapper_a)
    page = client.get("/seats/swap/").content.decode()
    assert world.swapper_b.email not in page  # proposed, not yet confirmed by both
    client.post(f"/seats/swap/{world.swap.pk}/confirm/")
    assert world.swapper_b.email not in client.get("/seats/swap/").content.decode()
    client.force_login(world.swapper_b)
    client.post(f"/seats/swap/{world.swap.pk}/confirm/")
    client.force_login(world.swapper_a)
    assert world.swapper_b.email in client.get("/seats/swap/").content.decode()


GUESSES = [
    "/events/999999/edit/",
    "/events/999999/attendees/?format=csv",
    "/events/imports/feed/999999/sync/",
    "/events/clashes/999999/",
    "/events/clashes/proposals/999999/",
    "/events/imports/no-such-group/",
    "/petitions/no-such-petition/dashboard/",
    "/petitions/no-such-petition/export/signers.csv",
    "/seats/agreements/999999/",
    "/seats/swap/999999/confirm/",
    "/events/feeds/private/not-a-token.ics",
    "/events/clashes/unsubscribe/forged-token/",
    "/groups/invitations/not-a-token/",
    "/groups/invitations/not-a-token/accept/",
    "/groups/alpha/invitations/999999/revoke/",
    "/groups/alpha/requests/999999/decide/",
    "/groups/alpha/links/999999/decide/",
    "/seats/alerts/forged-token/confirm/",
    "/seats/alerts/forged-token/unsubscribe/",
    "/seats/advice/E99999999/",
    "/seats/embed/E99999999/",
]


def test_guessed_ids_that_do_not_exist_are_404(client, world):
    client.force_login(world.organiser_a)
    for url in GUESSES:
        posts = ("/sync/", "/confirm/", "/accept/", "/revoke/", "/decide/")
        method = client.post if url.endswith(posts) else client.get
        assert method(url).status_code == 404, url


def test_clash_list_shows_only_clashes_the_user_may_see(client, world):
    client.force_login(world.organiser_a)
    response = client.get("/events/clashes/")
    assert response.status_code == 200
    assert f"/events/clashes/{world.clash_b.pk}/" not in response.content.decode()
    client.force_login(world.organiser_b)
    assert f"/events/clashes/{world.clash_b.pk}/" in client.get("/events/clashes/").content.decode()


def test_group_a_organiser_cannot_reach_group_b_things_through_group_a(client, world):
    """Group B's invitation, join request and link, asked for under group A's own slug."""
    client.force_login(world.organiser_a)
    before = db_snapshot()
    for url, data in [
        (f"/groups/alpha/invitations/{world.invitation_b.pk}/revoke/", {}),
        (f"/groups/alpha/requests/{world.join_request_b.pk}/decide/", {"decision": "approve"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert db_snapshot() == before


# --- Organiser invitation links, as every actor -----------------------------------------------

INVITATION_PAGE, INVITATION_ACCEPT, INVITATION_DECLINE = INVITATION_URLS


def _invitation_status(world) -> str:
    world.invitation_b.refresh_from_db()
    return world.invitation_b.status


def test_invitation_link_signed_out_shows_the_group_but_accepts_nothing(client, world):
    before = db_snapshot()
    page = _request(client, world, *INVITATION_PAGE[1:])
    assert page.status_code == 200
    assert world.invitee_b.email not in page.content.decode()
    _assert_no_leak(page, world)
    accept = _request(client, world, *INVITATION_ACCEPT[1:])
    _assert_refused(accept, anonymous=True)
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["outsider", "organiser_a", "member_a", "member_b"])
def test_invitation_link_refuses_everyone_signed_in_but_the_invitee(client, world, who):
    """A signed-in stranger, an organiser of another group, members of either group: all the
    wrong person for this token."""
    client.force_login(getattr(world, who))
    before = db_snapshot()
    page = _request(client, world, *INVITATION_PAGE[1:])
    assert page.status_code == 403
    assert world.invitee_b.email not in page.content.decode()
    assert "Accept and become an organiser" not in page.content.decode()
    _assert_refused(_request(client, world, *INVITATION_ACCEPT[1:]), anonymous=False)
    assert db_snapshot() == before
    assert _invitation_status(world) == InvitationStatus.PENDING


def test_invitation_link_works_for_the_invitee(client, world):
    client.force_login(world.invitee_b)
    assert _request(client, world, *INVITATION_PAGE[1:]).status_code == 200
    assert _request(client, world, *INVITATION_ACCEPT[1:]).status_code == 302
    assert _invitation_status(world) == InvitationStatus.ACCEPTED
    assert world.group_b.memberships.get(user=world.invitee_b).role == Role.ORGANISER
    # Spent: the same link does nothing more, for anyone.
    client.force_login(world.outsider)
    assert _request(client, world, *INVITATION_ACCEPT[1:]).status_code == 404


def test_whoever_holds_the_link_may_decline_it_and_nothing_else(client, world):
    before = db_snapshot()
    assert _request(client, world, *INVITATION_DECLINE[1:]).status_code == 302
    assert _invitation_status(world) == InvitationStatus.DECLINED
    after = db_snapshot()
    assert {key for key in before if before[key] != after[key]} == {"invitations"}


# --- The "yes": the URLs in the table are real ---------------------------------------------

GETS = [row for row in ORGANISER_URLS if row[1] == "get"]


@pytest.mark.parametrize("name, method, path, data", GETS, ids=_ids(GETS))
def test_group_b_organiser_gets_every_organiser_page(client, world, name, method, path, data):
    client.force_login(world.organiser_b)
    assert _request(client, world, method, path, data).status_code == 200


def test_the_right_staff_get_the_staff_pages(client, world):
    client.force_login(world.site_staff)
    assert client.get("/petitions/staff/moderation/").status_code == 200
    assert client.get("/petitions/staff/invalidate/").status_code == 200
    assert client.get("/seats/elections/new/").status_code == 200
    client.force_login(world.staff_p1)
    for url in ["/seats/agreements/", "/seats/agreements/new/", world.agreement.get_absolute_url()]:
        assert client.get(url).status_code == 200, url
    response = client.post(
        f"/seats/agreements/{world.agreement.pk}/terms/", {"terms": "New", "red_lines": ""}
    )
    assert response.status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.terms == "New"


def test_group_b_organiser_can_cancel_their_event(client, world):
    client.force_login(world.organiser_b)
    assert client.post(f"/events/{world.event_b.pk}/cancel/").status_code == 302
    world.event_b.refresh_from_db()
    assert world.event_b.status == "cancelled"


# --- Every URL is either in the table above or known to be for everyone ----------------------

# Pages anyone (or any signed-in person, about themselves) may use; checked elsewhere: the
# clash list only lists what the user may see (above), signed links in test_personal_data.
FOR_EVERYONE = {
    "groups": {
        "list", "mine", "create", "detail", "join", "leave", "contact", "coalition",
        "coalition_feed",
    },
    "events": {
        "list", "month", "week", "agenda", "create_choose", "detail", "ics", "rsvp", "feed",
        "feed_group", "feed_party", "feed_private", "my_calendar",
    },
    "clashes": {"list", "notifications", "unsubscribe"},
    "petitions": {
        "list", "detail", "json", "sign", "signed", "confirm", "remove", "unsubscribe",
        "signer_data", "signer_data_download",
        "awaiting_response",  # public: petitions a party has not answered yet
    },
    "seats": {
        "list", "map", "pacts", "reciprocity", "swap", "swap_cancel", "activists", "detail",
        # "How should I vote here?": public; alerts are reached by the emailed token only
        "advice_lookup", "advice", "advice_alert", "advice_embed", "alert_confirm",
        "alert_unsubscribe",
    },
    "priorities": {"index", "join", "join_code", "statement", "region"},
}  # fmt: skip


class _AnyId(dict):
    def __missing__(self, key):
        return "1"


def test_every_url_of_events_petitions_and_seats_is_in_the_table_or_for_everyone(world):
    from django.urls import resolve

    import clashes.urls
    import events.urls
    import groups.urls
    import petitions.urls
    import priorities.urls
    import seats.urls

    in_table = set()
    for _name, _method, path, data in ALL + INVITATION_URLS + GUEST_RSVP_URLS + STALL_URLS:
        match = resolve(fill(world, path, data)[0].split("?")[0])
        in_table.add((match.namespace, match.url_name))
    # Their worlds: test_access_packages.py, test_access_petition_responses.py,
    # tests/seats/test_swap_offers.py
    for _name, _method, path, _data in PACKAGE_URLS + PETITION_RESPONSE_URLS + SWAP_CHOICE_URLS:
        match = resolve(path.format(package=0, petition_b="beta-petition"))
        in_table.add((match.namespace, match.url_name))
    # Coalition rows need their own world (tests/security/test_access_coalitions.py): any id
    # resolves the path to its name.
    for _name, _method, path, _data in COALITION_URLS + LINK_END_URLS:
        match = resolve(path.format_map(_AnyId()))
        in_table.add((match.namespace, match.url_name))
    for module in (
        groups.urls,
        events.urls,
        clashes.urls,
        petitions.urls,
        seats.urls,
        priorities.urls,
    ):
        app = module.app_name
        names = {pattern.name for pattern in module.urlpatterns}
        missing = names - FOR_EVERYONE[app] - {name for ns, name in in_table if ns == app}
        assert not missing, f"{app}: add these URLs to tests/security/url_table.py: {missing}"
        assert not FOR_EVERYONE[app] & {name for ns, name in in_table if ns == app}


# --- The takeover through a clash with another group's members-only event ------------------


@pytest.fixture
def takeover(world):
    from clashes.models import Clash
    from tests.events.factories import EventFactory, RsvpFactory
    from tests.factories import MembershipFactory, UserFactory

    private_b = EventFactory(
        group=world.group_b,
        title="Beta private plans",
        venue_name="Beta's back room",
        visibility="group",
        starts_at=world.event_b.starts_at,
    )
    RsvpFactory(event=private_b, user=world.member_b)
    event_a = EventFactory(group=world.group_a, title="Alpha bait", starts_at=private_b.starts_at)
    first, second = sorted((private_b, event_a), key=lambda event: event.pk)
    clash_ab = Clash.objects.create(event_a=first, event_b=second)
    organiser_both = UserFactory(name="Olga Both")
    for group in (world.group_a, world.group_b):
        MembershipFactory(user=organiser_both, group=group, role="organiser")
    return {
        "private_b": private_b,
        "event_a": event_a,
        "clash_ab": clash_ab,
        "organiser_both": organiser_both,
    }


def _takeover_expected(actor: str, name: str) -> str:
    expected = CLASH_TAKEOVER_EXPECTED[actor]
    if isinstance(expected, str):
        return expected
    return expected.get(name, "ok" if actor == "organiser_both" else "refused")


@pytest.mark.parametrize("actor", list(CLASH_TAKEOVER_EXPECTED))
def test_a_clash_never_hands_another_groups_event_over(client, world, takeover, actor):
    """Every step of the takeover, in order, for every actor: only someone who organises both
    groups gets through, and group A's organiser sees the clash without B's private event."""
    values = {key: getattr(value, "pk", value) for key, value in takeover.items()}
    if actor != "anonymous":
        user = takeover["organiser_both"] if actor == "organiser_both" else getattr(world, actor)
        client.force_login(user)
    private_b = takeover["private_b"]
    for name, method, path, data_factory in CLASH_TAKEOVER_URLS:
        url = path.format(**values)
        data = {k: str(v).format(**values) for k, v in (data_factory or dict)().items()}
        before = db_snapshot()
        response = getattr(client, method)(url, data)
        expected = _takeover_expected(actor, name)
        text = response.content.decode(errors="replace")
        if expected == "ok":
            assert response.status_code in {200, 302}, (name, response.status_code)
            continue
        if expected == "settled":
            assert response.status_code == 400, name
            continue
        if expected == "redacted":
            assert response.status_code == 200, name
        else:
            _assert_refused(response, anonymous=actor == "anonymous")
            assert db_snapshot() == before, name
        assert private_b.title not in text and private_b.venue_name not in text, name
        assert world.member_b.email not in text, name
    private_b.refresh_from_db()
    if actor == "organiser_both":
        assert private_b.status == "scheduled"
        assert set(private_b.co_organisers.all()) == {world.group_a}
    else:
        assert private_b.status == "scheduled" and not private_b.co_organisers.exists()
