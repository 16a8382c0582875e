"""The table of every organiser, staff and export URL of groups, events, petitions and seats.

Each row: (name, method, path, data), with {placeholders} filled from the `world` fixture
(tests/security/conftest.py): group B owns every target. A new URL is one new row.
"""

from datetime import timedelta

from django.utils import timezone


def _event_form(title: str = "Hijacked") -> dict:
    start = timezone.localtime(timezone.now() + timedelta(days=9)).replace(second=0, microsecond=0)
    return {
        "title": title,
        "kind": "canvassing",
        "description": "",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "venue_name": "",
        "address": "",
        "postcode": "",
        "visibility": "public",
    }


def _petition_form() -> dict:
    return {"title": "Hijacked petition", "target": "Someone", "body": "Taken over."}


def _group_form() -> dict:
    return {
        "name": "Hijacked group",
        "kind": "pro_eu",
        "region": "E12000009",
        "contact_email": "evil@example.net",
        "join_policy": "open",
    }


# (name, method, path template, data factory)
ORGANISER_URLS = [
    # groups: organiser tools
    ("group edit", "get", "/groups/{group_b}/edit/", None),
    ("group edit (post)", "post", "/groups/{group_b}/edit/", _group_form),
    ("members and invite form", "get", "/groups/{group_b}/organisers/", None),
    (
        "organiser invite (post)",
        "post",
        "/groups/{group_b}/organisers/",
        lambda: {"email": "accomplice@example.net"},
    ),
    (
        "invitation revoke (post)",
        "post",
        "/groups/{group_b}/invitations/{invitation_b}/revoke/",
        dict,
    ),
    (
        "join request decide (post)",
        "post",
        "/groups/{group_b}/requests/{join_request_b}/decide/",
        lambda: {"decision": "approve"},
    ),
    ("link request", "get", "/groups/{group_b}/links/new/", None),
    (
        "link request (post)",
        "post",
        "/groups/{group_b}/links/new/",
        lambda: {"to_group": "{group_a_pk}"},
    ),
    (
        "link decide (post)",
        "post",
        "/groups/{group_b}/links/{link_b}/decide/",
        lambda: {"decision": "accept"},
    ),
    # events: organiser tools
    ("event create for B", "get", "/events/new/{group_b}/", None),
    ("event create for B (post)", "post", "/events/new/{group_b}/", _event_form),
    (
        "event form clash check for B",
        "get",
        "/events/new/{group_b}/clash-check/?starts_at=2030-06-03T10:00&ends_at=2030-06-03T12:00",
        None,
    ),
    ("event edit", "get", "/events/{event_b}/edit/", None),
    ("event edit (post)", "post", "/events/{event_b}/edit/", _event_form),
    ("event duplicate", "get", "/events/{event_b}/duplicate/", None),
    ("event duplicate (post)", "post", "/events/{event_b}/duplicate/", _event_form),
    ("event cancel", "get", "/events/{event_b}/cancel/", None),
    ("event cancel (post)", "post", "/events/{event_b}/cancel/", dict),
    ("event attendees", "get", "/events/{event_b}/attendees/", None),
    ("event attendees CSV", "get", "/events/{event_b}/attendees/?format=csv", None),
    ("feed management", "get", "/events/imports/{group_b}/", None),
    (
        "feed add (post)",
        "post",
        "/events/imports/{group_b}/",
        lambda: {
            "name": "Evil",
            "url": "http://127.0.0.1:9/evil.ics",
            "kind": "other",
            "visibility": "public",
        },
    ),
    ("feed preview", "get", "/events/imports/feed/{feed_b}/preview/", None),
    ("feed confirm (post)", "post", "/events/imports/feed/{feed_b}/confirm/", dict),
    ("feed sync (post)", "post", "/events/imports/feed/{feed_b}/sync/", dict),
    ("feed delete (post)", "post", "/events/imports/feed/{feed_b}/delete/", dict),
    # clashes
    ("clash page", "get", "/events/clashes/{clash_b}/", None),
    ("clash acknowledge (post)", "post", "/events/clashes/{clash_b}/acknowledge/", dict),
    ("clash dismiss (post)", "post", "/events/clashes/{clash_b}/dismiss/", dict),
    ("clash merge (post)", "post", "/events/clashes/{clash_b}/merge/", lambda: {"keep": "0"}),
    (
        "clash propose joint event (post)",
        "post",
        "/events/clashes/{clash_cb}/propose/",
        lambda: {"propose-keep": "{event_b}"},
    ),
    (
        "clash note by party staff (post)",
        "post",
        "/events/clashes/{clash_b}/notes/",
        lambda: {"body": "x", "email_organisers": "on"},
    ),
    ("joint event proposal page", "get", "/events/clashes/proposals/{proposal_b}/", None),
    ("joint event accept (post)", "post", "/events/clashes/proposals/{proposal_b}/accept/", dict),
    ("joint event decline (post)", "post", "/events/clashes/proposals/{proposal_b}/decline/", dict),
    # petitions: organiser tools
    ("petition create for B", "get", "/petitions/new/{group_b}/", None),
    ("petition create for B (post)", "post", "/petitions/new/{group_b}/", _petition_form),
    ("petition edit", "get", "/petitions/{petition_b}/edit/", None),
    ("petition edit (post)", "post", "/petitions/{petition_b}/edit/", _petition_form),
    ("draft edit", "get", "/petitions/{draft_b}/edit/", None),
    ("draft submit (post)", "post", "/petitions/{draft_b}/submit/", dict),
    ("draft image", "get", "/petitions/{draft_b}/image/{draft_b_image}", None),
    ("petition dashboard", "get", "/petitions/{petition_b}/dashboard/", None),
    ("signers CSV", "get", "/petitions/{petition_b}/export/signers.csv", None),
    ("counts CSV", "get", "/petitions/{petition_b}/export/counts.csv", None),
    (
        "update email (post)",
        "post",
        "/petitions/{petition_b}/update/",
        lambda: {"subject": "Spam", "body": "Buy now"},
    ),
    ("close (post)", "post", "/petitions/{petition_b}/close/", dict),
    (
        "deliver (post)",
        "post",
        "/petitions/{petition_b}/deliver/",
        lambda: {"delivered_on": timezone.localdate().isoformat(), "note": "x"},
    ),
    # priorities: organiser tools, and participant-only pages of group B's open round
    ("round create for B", "get", "/priorities/new/{group_b}/", None),
    (
        "round create for B (post)",
        "post",
        "/priorities/new/{group_b}/",
        lambda: {"title": "Hijack", "notes_per_participant": "2", "dots_per_participant": "3"},
    ),
    ("round page", "get", "/priorities/{round_b}/", None),
    ("round vote panel", "get", "/priorities/{round_b}/vote/", None),
    ("note add (post)", "post", "/priorities/{round_b}/notes/", lambda: {"text": "Hijack"}),
    ("dot add (post)", "post", "/priorities/{round_b}/dots/", lambda: {"cluster": "{cluster_b}"}),
    (
        "dot remove (post)",
        "post",
        "/priorities/{round_b}/dots/remove/",
        lambda: {"cluster": "{cluster_b}"},
    ),
    ("participant erase (post)", "post", "/priorities/{round_b}/leave/", dict),
    ("board", "get", "/priorities/{round_b}/board/", None),
    ("board live", "get", "/priorities/{round_b}/board/live/", None),
    ("cluster create (post)", "post", "/priorities/{round_b}/clusters/", lambda: {"name": "X"}),
    (
        "note move (post)",
        "post",
        "/priorities/{round_b}/move/",
        lambda: {"note": "{note_b}", "cluster": "{cluster_b2}"},
    ),
    (
        "cluster merge (post)",
        "post",
        "/priorities/{round_b}/merge/",
        lambda: {"source": "{cluster_b}", "target": "{cluster_b2}"},
    ),
    (
        "cluster split (post)",
        "post",
        "/priorities/{round_b}/split/",
        lambda: {"cluster": "{cluster_b}", "notes": "{note_b}", "name": "X"},
    ),
    (
        "cluster rename (post)",
        "post",
        "/priorities/{round_b}/rename/",
        lambda: {"cluster": "{cluster_b}", "name": "X"},
    ),
    (
        "note hide (post)",
        "post",
        "/priorities/{round_b}/hide/",
        lambda: {"note": "{note_b}", "hidden": "1"},
    ),
    ("projector", "get", "/priorities/{round_b}/projector/", None),
    ("projector live", "get", "/priorities/{round_b}/projector/live/", None),
    ("join QR code", "get", "/priorities/{round_b}/qr.svg", None),
    ("round close (post)", "post", "/priorities/{round_b}/close/", dict),
    ("round results while open", "get", "/priorities/{round_b}/results/", None),
    ("round results CSV", "get", "/priorities/{round_b}/results.csv", None),
    ("statement create", "get", "/priorities/{round_b}/statement/", None),
    ("statement create (post)", "post", "/priorities/{round_b}/statement/", lambda: {"title": "X"}),
    (
        "endorse for group B (post)",
        "post",
        "/priorities/statements/{statement_b}/endorse/group/",
        lambda: {"group": "{group_b}"},
    ),
]

STAFF_URLS = [
    # petitions: site staff
    ("moderation", "get", "/petitions/staff/moderation/", None),
    (
        "moderation (post)",
        "post",
        "/petitions/staff/moderation/",
        lambda: {"petition": "{draft_b_pk}", "decision": "approve"},
    ),
    ("invalidate", "get", "/petitions/staff/invalidate/", None),
    (
        "invalidate (post)",
        "post",
        "/petitions/staff/invalidate/",
        lambda: {"domain": "example.org", "confirm": "yes"},
    ),
    # seats: party staff
    ("agreement list", "get", "/seats/agreements/", None),
    ("pact coverage", "get", "/seats/coverage/", None),
    ("agreement propose", "get", "/seats/agreements/new/", None),
    (
        "agreement propose (post)",
        "post",
        "/seats/agreements/new/",
        lambda: {
            "election": "hostile2029",
            "constituency": "{seat_pk}",
            "arrangement": "endorse",
            "carries_hopes": "{p1_pk}",
            "endorses": "{p2_pk}",
        },
    ),
    ("agreement page (not yet agreed)", "get", "/seats/agreements/{agreement}/", None),
    (
        "agreement accept (post)",
        "post",
        "/seats/agreements/{agreement}/accept/",
        lambda: {"accept-party": "{p2_pk}"},
    ),
    (
        "agreement withdraw (post)",
        "post",
        "/seats/agreements/{agreement}/withdraw/",
        lambda: {"withdraw-party": "{p1_pk}", "withdraw-reason": "no"},
    ),
    (
        "agreement change terms (post)",
        "post",
        "/seats/agreements/{agreement}/terms/",
        lambda: {"terms": "Changed", "red_lines": "none"},
    ),
    # priorities: party staff endorse for their own party only
    (
        "endorse for a party (post)",
        "post",
        "/priorities/statements/{statement_b}/endorse/party/",
        lambda: {"party": "{p1_pk}"},
    ),
    # seats: site staff set up upcoming elections
    ("upcoming election", "get", "/seats/elections/new/", None),
    (
        "upcoming election (post)",
        "post",
        "/seats/elections/new/",
        lambda: {"kind": "general", "date": "2099-05-07"},
    ),
]

# An organiser invitation's link: the page is for whoever holds the link (it shows only the
# group); accepting needs the invitee signed in with the invited address verified.
INVITATION_URLS = [
    ("invitation page", "get", "/groups/invitations/{invitation_b_token}/", None),
    ("invitation accept (post)", "post", "/groups/invitations/{invitation_b_token}/accept/", dict),
    (
        "invitation decline (post)",
        "post",
        "/groups/invitations/{invitation_b_token}/decline/",
        dict,
    ),
]

# Someone else's vote swap: confirming it, or seeing the partner's contact details.
SWAP_URLS = [
    ("swap confirm (post)", "post", "/seats/swap/{swap}/confirm/", dict),
]


# The takeover through a clash: group A's event clashes with group B's members-only event
# ({private_b}); the clash is {clash_ab}. Filled from the `takeover` fixture in test_access.py.
# Expected per actor: "refused" (sign-in, 403 or 404), "redacted" (200, B's event not shown),
# "ok" (200 or a redirect after the change), "settled" (400: the clash was already merged).
CLASH_TAKEOVER_URLS = [
    ("cross-group clash page", "get", "/events/clashes/{clash_ab}/", None),
    (
        "cross-group merge keeping B's event (post)",
        "post",
        "/events/clashes/{clash_ab}/merge/",
        lambda: {"keep": "{private_b}"},
    ),
    (
        "cross-group merge cancelling B's event (post)",
        "post",
        "/events/clashes/{clash_ab}/merge/",
        lambda: {"keep": "{event_a}"},
    ),
    ("B's private event edit", "get", "/events/{private_b}/edit/", None),
    ("B's private event attendees", "get", "/events/{private_b}/attendees/", None),
    ("B's private event attendees CSV", "get", "/events/{private_b}/attendees/?format=csv", None),
]
CLASH_TAKEOVER_EXPECTED = {
    "anonymous": "refused",
    "outsider": "refused",
    "staff_p3": "refused",
    "organiser_a": {"cross-group clash page": "redacted"},  # the rest: refused
    # Organises both groups: may merge; the second merge finds the clash already settled.
    "organiser_both": {"cross-group merge cancelling B's event (post)": "settled"},
}


def placeholders(world) -> dict:
    agreement = world.agreement
    parties = {ap.role: ap.party_id for ap in agreement.parties.all()}
    return {
        "group_b": world.group_b.slug,
        "group_a_pk": world.group_a.pk,
        "invitation_b": world.invitation_b.pk,
        "invitation_b_token": world.invitation_b.token,
        "join_request_b": world.join_request_b.pk,
        "link_b": world.link_b.pk,
        "event_b": world.event_b.pk,
        "rsvp_b": world.event_b.rsvps.values_list("pk", flat=True).first(),
        "feed_b": world.feed_b.pk,
        "clash_b": world.clash_b.pk,
        "clash_cb": world.proposal_b.clash_id,
        "proposal_b": world.proposal_b.pk,
        "petition_b": world.petition_b.slug,
        "draft_b": world.draft_b.slug,
        "draft_b_pk": world.draft_b.pk,
        "draft_b_image": world.draft_b.image.name.rsplit("/", 1)[-1],
        "agreement": agreement.pk,
        "seat_pk": agreement.constituency_id,
        "p1_pk": parties["carries_hopes"],
        "p2_pk": parties["stands_aside"],
        "swap": world.swap.pk,
        **world.priorities,
    }


def fill(world, path: str, data_factory) -> tuple[str, dict | None]:
    values = placeholders(world)
    data = None
    if data_factory is not None:
        data = {
            key.format(**values): str(value).format(**values)
            for key, value in data_factory().items()
        }
    return path.format(**values), data


# Conversations: a private conversation group B's organiser opened (see conversation_world).
CONVERSATION_URLS = [
    ("conversation page", "get", "/conversations/{conversation}/", None),
    (
        "conversation reply (post)",
        "post",
        "/conversations/{conversation}/reply/",
        lambda: {"body": "Hijack"},
    ),
    (
        "conversation invite (post)",
        "post",
        "/conversations/{conversation}/invite/",
        lambda: {"groups": "{group_a_pk}"},
    ),
    (
        "conversation emails (post)",
        "post",
        "/conversations/{conversation}/emails/",
        lambda: {"email_mode": "none"},
    ),
    ("conversation leave (post)", "post", "/conversations/{conversation}/leave/", dict),
    ("conversation close (post)", "post", "/conversations/{conversation}/close/", dict),
    (
        "proposal create (post)",
        "post",
        "/conversations/{conversation}/proposals/new/",
        lambda: {"statement": "Hijack", "deadline": "{deadline}"},
    ),
    ("proposal page", "get", "/conversations/proposals/{proposal}/", None),
    (
        "proposal answer (post)",
        "post",
        "/conversations/proposals/{proposal}/answer/",
        lambda: {"position": "block", "reason": "Hijack"},
    ),
    (
        "proposal outcome (post)",
        "post",
        "/conversations/proposals/{proposal}/outcome/",
        lambda: {"outcome": "Hijack"},
    ),
    ("open a conversation about a clash of B", "get", "/conversations/new/?clash={clash_b}", None),
]


def conversation_world(world) -> dict:
    """Group B's organiser opens a private conversation with a proposal; returns placeholders."""
    from conversations import services

    conversation = services.conversation_open(
        author=world.organiser_b,
        title="Beta's private plans",
        scope_kind="groups",
        groups=[world.group_b],
        body="Only for us",
    )
    proposal = services.proposal_create(
        conversation=conversation,
        proposer=world.organiser_b,
        statement="Beta's proposal",
        details="",
        deadline=timezone.now() + timedelta(days=2),
    )
    time_poll = services.proposal_create(
        conversation=conversation,
        proposer=world.organiser_b,
        statement="Beta's meeting",
        details="",
        deadline=timezone.now() + timedelta(days=2),
        options=[timezone.now() + timedelta(days=5, hours=h) for h in (0, 2)],
    )
    option_1, option_2 = time_poll.options.values_list("pk", flat=True)
    deadline = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    return {
        "conversation": conversation.pk,
        "proposal": proposal.pk,
        "time_poll": time_poll.pk,
        "option_1": option_1,
        "option_2": option_2,
        "group_a_pk": world.group_a.pk,
        "deadline": deadline,
    }


# --- Open primaries (tests/primaries/test_access.py and test_csrf.py use these, with their own
# world, tests/primaries/conftest.py `hostile`: open-primary agreements between parties P1, P2,
# P3, one still being set up, one taking registrations). The public pages, and candidates'
# photos (public once published, staff of the agreement's parties before), are listed in
# test_access.py's FOR_EVERYONE; the photos' "no" is tests/primaries/test_photos.py.
def _primary_rules_form() -> dict:
    start = timezone.localtime(timezone.now() + timedelta(days=30)).replace(second=0)
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "rules-electorate": "members",
        "rules-counting_method": "plurality",
        "rules-registration_opens_at": start.strftime(fmt),
        "rules-registration_closes_at": (start + timedelta(days=1)).strftime(fmt),
        "rules-voting_opens_at": (start + timedelta(days=2)).strftime(fmt),
        "rules-voting_closes_at": (start + timedelta(days=3)).strftime(fmt),
    }


PRIMARY_STAFF_URLS = [
    ("primary setup", "get", "/primaries/agreement/{setup_agreement}/", None),
    ("primary setup, registration open", "get", "/primaries/agreement/{primary_agreement}/",
     None),
    ("primary rules (post)", "post", "/primaries/agreement/{setup_agreement}/rules/",
     _primary_rules_form),
    (
        "primary candidate (post)",
        "post",
        "/primaries/agreement/{setup_agreement}/candidate/",
        lambda: {
            "candidate-party": "{p1_pk}",
            "candidate-name": "Hijacker",
            "candidate-statement": "Taken over",
        },
    ),
    ("primary accept (post)", "post", "/primaries/agreement/{setup_agreement}/accept/",
     lambda: {"accept-party": "{p1_pk}"}),
    ("primary roll", "get", "/primaries/agreement/{primary_agreement}/roll/", None),
    ("primary review (post)", "post", "/primaries/agreement/{primary_agreement}/roll/{voter}/",
     lambda: {"decision": "strike", "reason": "Hijacked"}),
]  # fmt: skip

# Every POST of the primaries app, for the CSRF test: (name, who posts, path, data).
PRIMARY_POSTS = [
    ("primary rules", "staff_p1", "/primaries/agreement/{setup_agreement}/rules/",
     _primary_rules_form),
    ("primary candidate", "staff_p1", "/primaries/agreement/{setup_agreement}/candidate/",
     lambda: {"candidate-party": "{p1_pk}", "candidate-name": "N", "candidate-statement": "S"}),
    ("primary accept", "staff_p1", "/primaries/agreement/{setup_agreement}/accept/",
     lambda: {"accept-party": "{p1_pk}"}),
    ("primary review", "staff_p1", "/primaries/agreement/{primary_agreement}/roll/{voter}/",
     lambda: {"decision": "strike", "reason": "Moved away"}),
    ("primary register", None, "/primaries/{primary}/register/",
     lambda: {"email": "new@example.org", "postcode": "PR1 1AA"}),
    ("primary confirm", None, "/primaries/confirm/{confirm_token}/", dict),
    ("primary vote", None, "/primaries/vote/{vote_token}/", lambda: {"choice": "{candidate}"}),
]  # fmt: skip


# --- Time polls ("when shall we meet?") in a conversation: the same world as CONVERSATION_URLS
# (conversation_world adds group B's private time poll); tests/security/test_access_conversations
# refuses everyone but group B's organiser on each.
TIME_POLL_URLS = [
    ("time poll form", "get", "/conversations/{conversation}/polls/new/", None),
    (
        "time poll create (post)",
        "post",
        "/conversations/{conversation}/polls/new/",
        lambda: {
            "statement": "Hijack",
            "deadline": "{deadline}",
            "option_1": "{deadline}",
            "option_2": "{deadline}",
        },
    ),
    ("time poll page", "get", "/conversations/proposals/{time_poll}/", None),
    (
        "time poll vote (post)",
        "post",
        "/conversations/proposals/{time_poll}/vote/",
        lambda: {"option-{option_1}": "no", "option-{option_2}": "no"},
    ),
]


# --- Mailing lists (tests/security/test_access_mailinglists.py): group B's list, with one
# subscriber
# and one email sent (see mailinglist_world). The links in emails (confirm, unsubscribe,
# forget) carry their own token and are tested there; subscribing is public.
MAILINGLIST_URLS = [
    ("mailing list overview", "get", "/lists/{group_b}/", None),
    ("write a list email", "get", "/lists/{group_b}/new/", None),
    (
        "send a list email (post)",
        "post",
        "/lists/{group_b}/new/",
        lambda: {"audience": "list", "subject": "Hijack", "body": "Spam"},
    ),
    (
        "send an event email (post)",
        "post",
        "/lists/{group_b}/new/",
        lambda: {"audience": "event", "event": "{event_b}", "subject": "Hijack", "body": "Spam"},
    ),
    ("a sent list email and its counts", "get", "/lists/{group_b}/mailings/{mailing_b}/", None),
]


def mailinglist_world(world) -> dict:
    """Group B's list has a confirmed subscriber and one email sent; returns placeholders."""
    from django.db import transaction

    from mailinglists.choices import Audience, ConsentSource
    from mailinglists.services import list_subscribe, mailing_create

    list_subscribe(
        group=world.group_b,
        email=world.member_b.email,
        name="Max",
        source=ConsentSource.JOINED_GROUP,
        user=world.member_b,
    )
    with transaction.atomic():
        mailing = mailing_create(
            group=world.group_b,
            author=world.organiser_b,
            subject="Beta's private plans",
            body="Only for our list",
            audience=Audience.LIST,
        )
    return {"mailing_b": mailing.pk, "event_b": world.event_b.pk}


# --- Coalitions (tests/security/test_access_coalitions.py): requests addressed to group B from
# group C, linked with B (see coalition_world), and B's own event tools. The coalition page and
# its feed are public (what they list goes through Event.visible_to).
COALITION_URLS = [
    ("link request page", "get", "/groups/{group_b}/links/{link_b}/", None),
    ("ask linked groups to promote", "get", "/groups/{group_b}/events/{event_b}/promote/", None),
    (
        "ask linked groups to promote (post)",
        "post",
        "/groups/{group_b}/events/{event_b}/promote/",
        lambda: {"groups": "{group_c_pk}"},
    ),
    ("invite a co-host", "get", "/groups/{group_b}/events/{event_b}/cohost/", None),
    (
        "invite a co-host (post)",
        "post",
        "/groups/{group_b}/events/{event_b}/cohost/",
        lambda: {"group": "{group_a_pk}"},
    ),
    ("promotion request page", "get", "/groups/{group_b}/promotions/{promotion_b}/", None),
    (
        "promotion decide (post)",
        "post",
        "/groups/{group_b}/promotions/{promotion_b}/decide/",
        lambda: {"decision": "accept"},
    ),
    ("co-host invitation page", "get", "/groups/{group_b}/cohosting/{cohosting_b}/", None),
    (
        "co-host decide (post)",
        "post",
        "/groups/{group_b}/cohosting/{cohosting_b}/decide/",
        lambda: {"decision": "accept"},
    ),
    ("network view", "get", "/groups/{group_b}/network/", None),
    (
        "network request (post)",
        "post",
        "/groups/{group_b}/network/",
        lambda: {"child": "{group_a_pk}"},
    ),
    ("network request page", "get", "/groups/{group_b}/network/requests/{network_b}/", None),
    (
        "network request decide (post)",
        "post",
        "/groups/{group_b}/network/requests/{network_b}/decide/",
        lambda: {"decision": "accept"},
    ),
]


# --- Packages of seats (tests/security/test_access_packages.py, world: `package_world` there):
# a package of two agreements between P1 and P2 ({agreement} and a second seat), still being
# negotiated; P3's staff, organisers and outsiders are refused everything, and organisers of
# the groups covering its seats may only read it and comment once it is open to consultation.
PACKAGE_URLS = [
    ("package list", "get", "/seats/packages/", None),
    ("package propose", "get", "/seats/packages/new/", None),
    ("package propose (post)", "post", "/seats/packages/new/",
     lambda: {"election": "hostile2029", "name": "Hijacked", "agreements": "{agreement}"}),
    ("package page (not yet agreed)", "get", "/seats/packages/{package}/", None),
    ("package accept (post)", "post", "/seats/packages/{package}/accept/",
     lambda: {"accept-party": "{p2_pk}"}),
    ("package reject (post)", "post", "/seats/packages/{package}/reject/",
     lambda: {"reject-party": "{p1_pk}", "reject-reason": "Hijacked"}),
    ("package remove a seat (post)", "post", "/seats/packages/{package}/seats/",
     lambda: {"remove-agreement": "{agreement}"}),
    ("package consult (post)", "post", "/seats/packages/{package}/consult/", dict),
    ("package comment (post)", "post", "/seats/packages/{package}/comment/",
     lambda: {"group": "{group_b_pk}", "body": "Hijacked", "endorses": "on"}),
]  # fmt: skip

# A party's answer to group B's petition, addressed to P1 here (test_access_petition_responses.py):
# only P1's staff answer it; P3's staff, the group's organisers and outsiders are refused.
PETITION_RESPONSE_URLS = [
    ("petition answer", "get", "/petitions/{petition_b}/respond/", None),
    ("petition answer (post)", "post", "/petitions/{petition_b}/respond/",
     lambda: {"body": "Hijacked answer"}),
]  # fmt: skip

# Choosing a vote-swap partner from one's offers (tests/seats/test_swap_offers.py): anonymous
# visitors sign in; people not registered, or not free, and partners not offered change nothing.
SWAP_CHOICE_URLS = [
    ("swap choose (post)", "post", "/seats/swap/choose/", lambda: {"partner": "{partner}"}),
]


def coalition_world(world) -> dict:
    """Group C, linked with B, asks B to promote and co-host its event and to join its
    network; returns placeholders."""
    from groups import coalitions
    from groups.models import GroupLink, LinkStatus
    from tests.events.factories import EventFactory
    from tests.factories import GroupFactory, UserFactory

    organiser_c = UserFactory(name="Cat Gamma")
    group_c = GroupFactory(name="Gamma Greens", slug="gamma-greens", organiser=organiser_c)
    link_cb = GroupLink.objects.create(
        from_group=group_c, to_group=world.group_b, status=LinkStatus.ACCEPTED
    )
    event_c = EventFactory(group=group_c, title="Gamma hustings")
    (promotion,) = coalitions.event_promotion_request(
        event=event_c, groups=[world.group_b], user=organiser_c
    )
    cohosting = coalitions.event_cohost_invite(event=event_c, group=world.group_b, user=organiser_c)
    network = coalitions.network_request_create(
        parent=group_c, child=world.group_b, user=organiser_c
    )
    return {
        "group_c_pk": group_c.pk,
        "promotion_b": promotion.pk,
        "cohosting_b": cohosting.pk,
        "network_b": network.pk,
        "event_b": world.event_b.pk,
        "group_a_pk": world.group_a.pk,
        "link_cb": link_cb.pk,
    }


# --- Answering events without an account (tests/security/test_access_guest_rsvp.py): who came
# is for group B's organisers; the guest form is for signed-out visitors on public events; a
# guest's page opens only with a link we signed (a forged one here).
GUEST_RSVP_URLS = [
    ("event attendance (post)", "post", "/events/{event_b}/attendance/",
     lambda: {"rsvp": "{rsvp_b}"}),
    ("guest RSVP (post)", "post", "/events/{event_b}/guest-rsvp/",
     lambda: {"name": "Guest", "email": "guest@example.net"}),
    ("guest RSVP page, forged link", "get", "/events/guest/forged:not-ours/", None),
    ("guest RSVP page, forged link (post)", "post", "/events/guest/forged:not-ours/",
     lambda: {"action": "erase"}),
]  # fmt: skip


# --- Stall mode (tests/petitions/test_stall.py has the cookie's "no"): for group B's
# organisers only.
STALL_URLS = [
    ("petition stall mode", "get", "/petitions/{petition_b}/stall/", None),
    ("petition stall mode (post)", "post", "/petitions/{petition_b}/stall/",
     lambda: {"action": "on", "hours": "3"}),
]  # fmt: skip

# The conversation's proposal and invitation forms on pages of their own (GET; their POSTs are
# in CONVERSATION_URLS): participants only, and organisers only for the invitation.
CONVERSATION_FORM_PAGE_URLS = [
    ("proposal form", "get", "/conversations/{conversation}/proposals/new/", None),
    ("invite form", "get", "/conversations/{conversation}/invite/", None),
]


# --- Ranked-choice polls in a conversation: group B's private conversation (conversation_world)
# gets a ranked-choice poll that its organiser has ranked (`ranked_poll_world`);
# tests/security/test_access_conversations refuses everyone but group B's organiser on each.
RANKED_POLL_URLS = [
    ("ranked poll form", "get", "/conversations/{conversation}/ranked/new/", None),
    (
        "ranked poll create (post)",
        "post",
        "/conversations/{conversation}/ranked/new/",
        lambda: {
            "statement": "Hijack",
            "deadline": "{deadline}",
            "option_1": "Ours",
            "option_2": "Theirs",
        },
    ),
    ("ranked poll page", "get", "/conversations/proposals/{ranked_poll}/", None),
    (
        "ranked poll rank (post)",
        "post",
        "/conversations/proposals/{ranked_poll}/vote/",
        lambda: {"rank-{ranked_1}": "2", "rank-{ranked_2}": "1"},
    ),
]


def ranked_poll_world(world, conversation: int) -> dict:
    """A ranked-choice poll in group B's conversation (`conversation`: its pk, from
    conversation_world), ranked by group B's organiser; returns placeholders."""
    from conversations import services
    from conversations.models import Conversation

    poll = services.proposal_create(
        conversation=Conversation.objects.get(pk=conversation),
        proposer=world.organiser_b,
        statement="Beta's priorities",
        details="",
        deadline=timezone.now() + timedelta(days=2),
        ranked_options=["Leaflets", "Canvassing"],
    )
    first, second = poll.ranked_options.values_list("pk", flat=True)
    services.ranked_ballot_set(proposal=poll, user=world.organiser_b, ranking=[first, second])
    return {"ranked_poll": poll.pk, "ranked_1": first, "ranked_2": second}


# Ending a link between groups (tests/security/test_access_coalitions.py, world: coalition_world):
# group C's link with B, ended from B's side; only organisers of either group may end it.
LINK_END_URLS = [
    ("end a link page", "get", "/groups/{group_b}/links/{link_cb}/end/", None),
    ("end a link (post)", "post", "/groups/{group_b}/links/{link_cb}/end/", dict),
]
