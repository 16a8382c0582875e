"""The table of every organiser, staff and export URL of events, petitions and seats.

Each row: (name, method, path, data), with {placeholders} filled from the `world` fixture
(tests/hostile/conftest.py): group B owns every target. A new URL is one new row.
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


# (name, method, path template, data factory)
ORGANISER_URLS = [
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
        "event_b": world.event_b.pk,
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
    }


def fill(world, path: str, data_factory) -> tuple[str, dict | None]:
    values = placeholders(world)
    data = None
    if data_factory is not None:
        data = {key: str(value).format(**values) for key, value in data_factory().items()}
    return path.format(**values), data
