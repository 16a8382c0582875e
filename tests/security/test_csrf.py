"""CSRF on every POST endpoint of groups, events, petitions and seats: no token, another session's
token and a foreign Origin are refused (403) and change nothing; the same POST with the
session's own token from our own origin gets through (so the 403s really are CSRF)."""

import pytest
from django.test import Client
from django.utils import timezone

from petitions.signer_data_views import signer_data_token
from seats.models import AdviceAlert
from tests.petitions.factories import SignatureFactory
from tests.security.conftest import db_snapshot
from tests.security.url_table import fill


def _event(**extra):
    from tests.security.url_table import _event_form

    return lambda: {**_event_form("Beta stall"), **extra}


# (name, who posts (attribute of world, None: anonymous), path, data)
POSTS = [
    ("group join", "outsider", "/groups/{group_b}/join/", dict),
    ("group leave", "member_b", "/groups/{group_b}/leave/", dict),
    (
        "organiser invite",
        "organiser_b",
        "/groups/{group_b}/organisers/",
        lambda: {"email": "new-organiser@example.org"},
    ),
    (
        "invitation revoke",
        "organiser_b",
        "/groups/{group_b}/invitations/{invitation_b}/revoke/",
        dict,
    ),
    (
        "join request decide",
        "organiser_b",
        "/groups/{group_b}/requests/{join_request_b}/decide/",
        lambda: {"decision": "approve"},
    ),
    ("invitation accept", "invitee_b", "/groups/invitations/{invitation_b_token}/accept/", dict),
    ("invitation decline", None, "/groups/invitations/{invitation_b_token}/decline/", dict),
    ("event create", "organiser_b", "/events/new/{group_b}/", _event()),
    ("event edit", "organiser_b", "/events/{event_b}/edit/", _event()),
    ("event duplicate", "organiser_b", "/events/{event_b}/duplicate/", _event()),
    ("event cancel", "organiser_b", "/events/{event_b}/cancel/", dict),
    ("rsvp", "member_b", "/events/{event_b2}/rsvp/", lambda: {"answer": "going"}),
    ("private feed revoke", "member_b", "/events/my-calendar/", dict),
    (
        "feed add",
        "organiser_b",
        "/events/imports/{group_b}/",
        lambda: {
            "name": "Another",
            "url": "http://127.0.0.1:9/x.ics",
            "kind": "other",
            "visibility": "public",
        },
    ),
    ("feed confirm", "organiser_b", "/events/imports/feed/{feed_b}/confirm/", dict),
    ("feed sync", "organiser_b", "/events/imports/feed/{feed_b}/sync/", dict),
    ("feed delete", "organiser_b", "/events/imports/feed/{feed_b}/delete/", dict),
    ("clash acknowledge", "organiser_b", "/events/clashes/{clash_b}/acknowledge/", dict),
    ("clash dismiss", "organiser_b", "/events/clashes/{clash_b}/dismiss/", dict),
    ("clash merge", "organiser_b", "/events/clashes/{clash_b}/merge/", lambda: {"keep": "x"}),
    (
        "joint event propose",
        "organiser_b",
        "/events/clashes/{clash_cb}/propose/",
        lambda: {"propose-keep": "{event_b}"},
    ),
    ("clash note", "staff_p1", "/events/clashes/{clash_b}/notes/", lambda: {"body": "Talk"}),
    ("joint event accept", "organiser_b", "/events/clashes/proposals/{proposal_b}/accept/", dict),
    ("joint event decline", "organiser_b", "/events/clashes/proposals/{proposal_b}/decline/", dict),
    (
        "clash email settings",
        "organiser_b",
        "/events/clashes/notifications/",
        lambda: {"clash_emails": "off"},
    ),
    (
        "clash unsubscribe link",
        None,
        "/events/clashes/unsubscribe/{unsubscribe_token}/",
        lambda: {"clash_emails": "off"},
    ),
    (
        "petition create",
        "organiser_b",
        "/petitions/new/{group_b}/",
        lambda: {"title": "New one", "target": "Them", "body": "Please."},
    ),
    (
        "petition edit",
        "organiser_b",
        "/petitions/{petition_b}/edit/",
        lambda: {"title": "Edited", "target": "Them", "body": "Please."},
    ),
    ("petition submit", "organiser_b", "/petitions/{draft_b}/submit/", dict),
    (
        "petition update",
        "organiser_b",
        "/petitions/{petition_b}/update/",
        lambda: {"subject": "News", "body": "Hello"},
    ),
    ("petition close", "organiser_b", "/petitions/{petition_b}/close/", dict),
    (
        "petition deliver",
        "organiser_b",
        "/petitions/{petition_b}/deliver/",
        lambda: {"delivered_on": timezone.localdate().isoformat()},
    ),
    (
        "petition sign",
        None,
        "/petitions/{petition_b}/sign/",
        lambda: {"name": "Ann", "email": "ann@example.net", "postcode": "SW1A 1AA"},
    ),
    ("signature confirm", None, "/petitions/s/{signature_token}/confirm/", dict),
    ("signature remove", None, "/petitions/s/{signature_token}/remove/", dict),
    ("signature unsubscribe", None, "/petitions/s/{signature_token}/unsubscribe/", dict),
    ("signer data delete", None, "/petitions/my-signature/{signer_data}/", dict),
    (
        "moderation",
        "site_staff",
        "/petitions/staff/moderation/",
        lambda: {"petition": "{draft_b_pk}", "decision": "reject", "reason": "No"},
    ),
    (
        "invalidate",
        "site_staff",
        "/petitions/staff/invalidate/",
        lambda: {"domain": "example.org"},
    ),
    (
        "agreement propose",
        "staff_p1",
        "/seats/agreements/new/",
        lambda: {"election": "hostile2029", "arrangement": "endorse"},
    ),
    (
        "agreement accept",
        "staff_p1",
        "/seats/agreements/{agreement}/accept/",
        lambda: {"accept-party": "{p1_pk}"},
    ),
    (
        "agreement withdraw",
        "staff_p1",
        "/seats/agreements/{agreement}/withdraw/",
        lambda: {"withdraw-party": "{p1_pk}"},
    ),
    (
        "agreement terms",
        "staff_p1",
        "/seats/agreements/{agreement}/terms/",
        lambda: {"terms": "x", "red_lines": ""},
    ),
    ("swap register", "outsider", "/seats/swap/", lambda: {"preferred_party": "{p1_pk}"}),
    ("swap confirm", "swapper_a", "/seats/swap/{swap}/confirm/", dict),
    (
        "swap cancel",
        "swapper_a",
        "/seats/swap/cancel/",
        dict,
    ),  # conversations (world: tests/security/url_table.py conversation_world)
    ("conversation open", "organiser_b", "/conversations/new/", lambda: {"title": "T"}),
    ("conversation reply", "organiser_b", "/conversations/{conversation}/reply/", dict),
    ("conversation invite", "organiser_b", "/conversations/{conversation}/invite/", dict),
    ("conversation emails", "organiser_b", "/conversations/{conversation}/emails/", dict),
    ("conversation leave", "organiser_b", "/conversations/{conversation}/leave/", dict),
    ("conversation close", "organiser_b", "/conversations/{conversation}/close/", dict),
    ("proposal create", "organiser_b", "/conversations/{conversation}/proposals/new/", dict),
    ("proposal answer", "organiser_b", "/conversations/proposals/{proposal}/answer/", dict),
    ("proposal outcome", "organiser_b", "/conversations/proposals/{proposal}/outcome/", dict),
    ("time poll create", "organiser_b", "/conversations/{conversation}/polls/new/", dict),
    ("time poll vote", "organiser_b", "/conversations/proposals/{time_poll}/vote/", dict),
    ("ranked poll create", "organiser_b", "/conversations/{conversation}/ranked/new/", dict),
    (
        "ranked poll rank",
        "organiser_b",
        "/conversations/proposals/{ranked_poll}/vote/",
        lambda: {"rank-{ranked_1}": "2", "rank-{ranked_2}": "1"},
    ),
    ("digest setting", "organiser_b", "/conversations/digest/", lambda: {"weekly": "on"}),
    ("conversation unsubscribe link", None, "/conversations/unsubscribe/{conv_token}/", dict),
    ("swap cancel", "swapper_a", "/seats/swap/cancel/", dict),
    (
        "priorities round create",
        "organiser_b",
        "/priorities/new/{group_b}/",
        lambda: {"title": "New", "notes_per_participant": "2", "dots_per_participant": "3"},
    ),
    ("priorities join", None, "/priorities/join/{round_b_code}/", lambda: {"name": "Ann"}),
    ("priorities note", "participant_b", "/priorities/{round_b}/notes/", lambda: {"text": "x"}),
    (
        "priorities dot",
        "participant_b",
        "/priorities/{round_b}/dots/",
        lambda: {"cluster": "{cluster_b}"},
    ),
    (
        "priorities undot",
        "participant_b",
        "/priorities/{round_b}/dots/remove/",
        lambda: {"cluster": "{cluster_b}"},
    ),
    ("priorities erase", "participant_b", "/priorities/{round_b}/leave/", dict),
    ("priorities cluster", "organiser_b", "/priorities/{round_b}/clusters/", lambda: {"name": "X"}),
    (
        "priorities move",
        "organiser_b",
        "/priorities/{round_b}/move/",
        lambda: {"note": "{note_b}", "cluster": "{cluster_b2}"},
    ),
    (
        "priorities merge",
        "organiser_b",
        "/priorities/{round_b}/merge/",
        lambda: {"source": "{cluster_b}", "target": "{cluster_b2}"},
    ),
    (
        "priorities split",
        "organiser_b",
        "/priorities/{round_b}/split/",
        lambda: {"cluster": "{cluster_b}", "notes": "{note_b}", "name": "X"},
    ),
    (
        "priorities rename",
        "organiser_b",
        "/priorities/{round_b}/rename/",
        lambda: {"cluster": "{cluster_b}", "name": "X"},
    ),
    (
        "priorities hide",
        "organiser_b",
        "/priorities/{round_b}/hide/",
        lambda: {"note": "{note_b}", "hidden": "1"},
    ),
    ("priorities close", "organiser_b", "/priorities/{round_b}/close/", dict),
    (
        "priorities statement",
        "organiser_b",
        "/priorities/{round_b}/statement/",
        lambda: {"title": "X"},
    ),
    (
        "priorities endorse group",
        "organiser_b",
        "/priorities/statements/{statement_b}/endorse/group/",
        lambda: {"group": "{group_b}"},
    ),
    (
        "priorities endorse party",
        "staff_p1",
        "/priorities/statements/{statement_b}/endorse/party/",
        lambda: {"party": "{p1_pk}"},
    ),
    (
        "advice alert",
        None,
        "/seats/advice/{seat_ons}/alert/",
        lambda: {"email": "new@example.net"},
    ),
    (
        "upcoming election",
        "site_staff",
        "/seats/elections/new/",
        lambda: {"kind": "general", "date": "2099-05-07"},
    ),
    ("advice alert confirm", None, "/seats/alerts/{alert_token}/confirm/", dict),
    ("advice alert unsubscribe", None, "/seats/alerts/{alert_token}/unsubscribe/", dict),
]


@pytest.fixture
def extra_placeholders(world, monkeypatch):
    from clashes import delivery
    from groups.models import Group
    from tests.security import url_table as urls

    # Staff of party 1 act on group B's clash (notes): group B is a party 1 group here.
    party_1 = world.staff_p1.party_staff_roles.get().party
    Group.objects.filter(pk=world.group_b.pk).update(party=party_1)
    signature = SignatureFactory(petition=world.petition_b)
    extra = {
        "event_b2": world.event_b2.pk,
        "signature_token": signature.token,
        "signer_data": signer_data_token(signature),
        "unsubscribe_token": delivery.unsubscribe_token(world.organiser_b.pk),
        "seat_ons": world.agreement.constituency.ons_code,
        "alert_token": AdviceAlert.objects.create(
            email="alerted@example.net", constituency=world.agreement.constituency
        ).token,
    }
    from conversations.services import unsubscribe_token as conversation_unsubscribe_token

    extra.update(urls.conversation_world(world))
    extra.update(urls.ranked_poll_world(world, extra["conversation"]))
    extra["conv_token"] = conversation_unsubscribe_token(
        user_id=world.organiser_b.pk, what="digest"
    )
    original = urls.placeholders
    monkeypatch.setattr(urls, "placeholders", lambda w: {**original(w), **extra})


def _token(client: Client) -> str:
    """What a browser has after loading any of our forms: the CSRF cookie."""
    assert client.get("/accounts/password/reset/").status_code == 200
    return client.cookies["csrftoken"].value


def _client(world, who) -> Client:
    client = Client(enforce_csrf_checks=True)
    if who:
        client.force_login(getattr(world, who))
    return client


@pytest.mark.parametrize("name, who, path, data", POSTS, ids=[row[0] for row in POSTS])
def test_post_needs_this_sessions_token_from_our_origin(
    world, extra_placeholders, name, who, path, data
):
    url, payload = fill(world, path, data)
    before = db_snapshot()

    client = _client(world, who)
    own = _token(client)
    assert client.post(url, payload).status_code == 403, "no token"

    stolen = _token(_client(world, None))
    assert stolen != own
    response = client.post(url, {**payload, "csrfmiddlewaretoken": stolen})
    assert response.status_code == 403, "another session's token"

    response = client.post(
        url,
        {**payload, "csrfmiddlewaretoken": own},
        HTTP_ORIGIN="https://evil.example.net",
        secure=True,
        HTTP_REFERER="https://evil.example.net/page",
    )
    assert response.status_code == 403, "foreign origin"
    response = client.post(
        url, {**payload, "csrfmiddlewaretoken": own}, HTTP_ORIGIN="https://evil.example.net"
    )
    assert response.status_code == 403, "foreign origin (http)"
    assert db_snapshot() == before

    # Control: the same POST, right token, our origin: CSRF lets it through.
    response = client.post(
        url, {**payload, "csrfmiddlewaretoken": own}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code in {200, 302, 400}, response.status_code
