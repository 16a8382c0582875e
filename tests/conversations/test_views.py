"""The pages over HTTP: what each person sees, escaping, pre-filled forms, bad input, rate
limits, and constant query counts at two sizes."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Participant, Post, Visibility, post_html
from outbox.models import OutboxEmail
from tests.conftest import _cache_clear_prefix
from tests.events.factories import EventFactory


def test_the_dashboard_replaces_the_marketing_page_after_sign_in(client, cast, conversation):
    assert "Start winning the same seats" in client.get("/").content.decode()
    client.force_login(cast.pro_eu_organiser)
    page = client.get("/").content.decode()
    assert "Start winning the same seats" not in page
    assert "Proposals awaiting your answer" in page
    assert "open clash" in page


def test_a_new_user_is_asked_their_name_and_a_postcode(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(name=""))
    page = client.get("/").content.decode()
    assert "What should we call you?" in page
    assert 'name="postcode"' in page
    page = client.get("/?postcode=not-a-postcode").content.decode()
    assert "Enter a UK postcode" in page


def test_groups_near_a_postcode(client, cast, postcodes_server):
    from tests.factories import UserFactory

    cast.seat.boundary_set = "2024"
    cast.seat.save()
    postcodes_server.answers["BS11AA"] = cast.seat.ons_code
    client.force_login(UserFactory(name="New Person"))
    page = client.get("/?postcode=BS1 1AA").content.decode()
    assert "Marginalton for Europe" in page


def test_staff_dashboard_shows_pending_agreements(client, cast):
    from seats import services as seat_services
    from tests.factories import PartyFactory
    from tests.seats.factories import ElectionFactory

    seat_services.agreement_propose(
        user=cast.staffer,
        election=ElectionFactory(slug="ge2029", boundary_set="sample"),
        constituency=cast.seat,
        arrangement="stand_aside",
        carries_hopes=cast.libdems,
        stands_aside=[PartyFactory(name="Labour", short_name="Lab")],
        terms="",
    )
    client.force_login(cast.staffer)
    page = client.get("/").content.decode()
    assert "Pending agreements" in page and "Marginalton" in page


def _grow(cast, conversation, n: int) -> None:
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            conversation=conversation,
            author=cast.pro_eu_organiser if i % 2 else cast.staffer,
            body=f"Post {i} https://example.org/{i}",
            body_html=post_html(f"Post {i} https://example.org/{i}"),
            created_at=now + timedelta(seconds=i),
        )
        for i in range(n)
    )
    for i in range(min(n, 30)):
        services.proposal_create(
            conversation=conversation,
            proposer=cast.staffer,
            statement=f"Proposal {i}",
            details="",
            deadline=now + timedelta(days=2),
        )


def _count(client, url, *, cold: bool = True) -> int:
    """Queries of one GET: with every cached fragment forgotten first (a first visit), or
    straight after a visit (the shared fragments come from the cache)."""
    if cold:
        _cache_clear_prefix()
    else:
        client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_conversation_page_query_count_is_constant(client, cast, conversation):
    client.force_login(cast.pro_eu_organiser)
    url = conversation.get_absolute_url()
    _grow(cast, conversation, 5)
    small = _count(client, url), _count(client, url, cold=False)
    assert small[1] < small[0]  # posts, proposals and participants came from the cache
    _grow(cast, conversation, 1000)
    assert (_count(client, url), _count(client, url, cold=False)) == small
    oldest_shown = Post.objects.filter(conversation=conversation).order_by("-pk")[49].pk
    older = f"{url}?before={oldest_shown}"  # older pages: the posts are not cached
    assert (_count(client, older), _count(client, older, cold=False)) == (small[0], small[1] + 1)


def test_dashboard_and_list_query_counts_are_constant(client, cast, conversation):
    client.force_login(cast.pro_eu_organiser)
    _grow(cast, conversation, 3)
    small = _count(client, "/"), _count(client, "/", cold=False), _count(client, "/conversations/")
    for i in range(40):
        other = services.conversation_open(
            author=cast.staffer,
            title=f"Talk {i}",
            scope_kind="seat",
            constituency=cast.seat,
            body="Hello",
        )
        Participant.objects.create(conversation=other, user=cast.pro_eu_organiser)
        EventFactory(group=cast.pro_eu, starts_at=timezone.now() + timedelta(days=1 + i))
    _grow(cast, conversation, 100)
    large = _count(client, "/"), _count(client, "/", cold=False), _count(client, "/conversations/")
    assert large == small


def test_a_cached_page_shows_a_new_post_and_an_erased_author_at_once(client, cast, conversation):
    """The posts, proposals and participants are cached per conversation: every change that
    shows there expires them (a reply, a proposal, an invitation, an erased account)."""
    from accounts.services import user_delete

    client.force_login(cast.staffer)
    url = conversation.get_absolute_url()
    services.post_create(conversation=conversation, author=cast.pro_eu_organiser, body="Hi 1")
    assert "Hi 1" in client.get(url).content.decode()  # now cached
    client.post(f"{url}reply/", {"body": "Second reply"})
    page = client.get(url).content.decode()
    assert "Hi 1" in page and "Second reply" in page
    services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="Merge the stalls",
        details="",
        deadline=timezone.now() + timedelta(days=2),
    )
    assert "Merge the stalls" in client.get(url).content.decode()
    organiser_name = cast.pro_eu_organiser.display_name
    assert organiser_name in client.get(url).content.decode()
    user_delete(user=cast.pro_eu_organiser)
    page = client.get(url).content.decode()
    assert "Hi 1" not in page and organiser_name not in page
    assert "A former member" in page


def test_the_cached_page_shows_a_close_an_email_setting_and_a_leave_at_once(
    client, cast, conversation
):
    """The page's main column is cached per kind of viewer: closing, a changed email
    setting and leaving each change the kind, or the version, at once."""
    url = conversation.get_absolute_url()
    client.force_login(cast.pro_eu_organiser)
    page = client.get(url).content.decode()
    assert re.search(r'value="instant"[^>]*checked', page)
    client.post(f"{url}emails/", {"email_mode": "none"})
    page = client.get(url).content.decode()
    assert re.search(r'value="none"[^>]*checked', page)
    assert not re.search(r'value="instant"[^>]*checked', page)
    client.force_login(cast.staffer)
    assert "Post reply" in client.get(url).content.decode()
    client.post(f"{url}close/")
    page = client.get(url).content.decode()
    assert "<strong>Closed</strong>" in page and "Post reply" not in page
    client.force_login(cast.pro_eu_organiser)
    assert "<strong>Closed</strong>" in client.get(url).content.decode()
    client.post(f"{url}leave/")
    assert client.get(url).status_code == 404  # a private conversation, no longer theirs


def test_each_viewer_gets_their_own_csrf_token_and_awaiting_list(cast, conversation):
    """Two participants of the same kind share the cached column, never each other's CSRF
    token or what awaits their answer."""
    from django.test import Client

    services.conversation_invite(
        conversation=conversation,
        inviter=cast.staffer,
        groups=[cast.pro_eu],
        include_members=True,
    )
    proposal = services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="Split the wards east and west",
        details="",
        deadline=timezone.now() + timedelta(days=2),
    )
    url = conversation.get_absolute_url()
    organiser, member = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    organiser.force_login(cast.pro_eu_organiser)
    member.force_login(cast.pro_eu_member)
    pages = {}
    for name, client in (("organiser", organiser), ("member", member)):
        page = client.get(url).content.decode()
        assert "<!--" not in page.split("</head>")[1]  # every placeholder filled in
        assert "Awaiting your answer:" in page and proposal.statement in page
        token = client.cookies["csrftoken"].value
        pages[name] = page
        # The form in the cached column posts with this viewer's own token.
        reply = client.post(
            f"{url}reply/", {"body": f"From the {name}", "csrfmiddlewaretoken": token}
        )
        assert reply.status_code == 302
    assert pages["organiser"] != pages["member"]
    answered = organiser.post(
        f"/conversations/proposals/{proposal.pk}/answer/",
        {
            "position": "agree",
            "reason": "Fine",
            "csrfmiddlewaretoken": organiser.cookies["csrftoken"].value,
        },
    )
    assert answered.status_code == 302
    assert "Awaiting your answer:" not in organiser.get(url).content.decode()
    assert "Awaiting your answer:" in member.get(url).content.decode()


def test_a_time_poll_vote_shows_at_once(client, cast, conversation):
    poll = services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="When shall we meet?",
        details="",
        deadline=timezone.now() + timedelta(days=2),
        options=[timezone.now() + timedelta(days=3), timezone.now() + timedelta(days=4)],
    )
    url = conversation.get_absolute_url()
    client.force_login(cast.pro_eu_organiser)
    assert "Awaiting your answer:" in client.get(url).content.decode()
    services.poll_votes_set(
        proposal=poll,
        user=cast.pro_eu_organiser,
        votes={option.pk: "yes" for option in poll.options.all()},
    )
    assert "Awaiting your answer:" not in client.get(url).content.decode()


def test_the_dashboard_is_cached_but_an_answer_shows_at_once(client, cast, conversation):
    proposal = services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="Share the leaflets",
        details="",
        deadline=timezone.now() + timedelta(days=2),
    )
    client.force_login(cast.pro_eu_organiser)
    assert "Share the leaflets" in client.get("/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert "Share the leaflets" in client.get("/").content.decode()
    assert len(queries) <= 2  # the session and the user: the lists came from the cache
    client.post(f"/conversations/proposals/{proposal.pk}/answer/", {"position": "agree",
                                                                     "reason": "Fine"})  # fmt: skip
    assert "Share the leaflets" not in client.get("/").content.decode()


def test_seat_page_lists_what_the_viewer_may_see(client, cast, conversation):
    public = services.conversation_open(
        author=cast.other_organiser,
        title="Public seat talk",
        scope_kind="seat",
        constituency=cast.seat,
        body="Open to all",
        visibility=Visibility.PUBLIC,
    )
    url = f"/seats/{cast.seat.boundary_set}/{cast.seat.ons_code}/"
    client.force_login(cast.outsider)
    page = client.get(url).content.decode()
    assert public.title in page
    assert conversation.title not in page
    client.force_login(cast.pro_eu_organiser)
    page = client.get(url).content.decode()
    assert public.title in page and conversation.title in page


def test_posts_are_escaped_and_links_are_clickable(client, cast, conversation):
    services.post_create(
        conversation=conversation,
        author=cast.pro_eu_organiser,
        body='<img src=x onerror="alert(1)"> see https://example.org/plan',
    )
    client.force_login(cast.staffer)
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page
    assert '<a href="https://example.org/plan" rel="nofollow">' in page


def test_reply_over_http_and_bad_input_keeps_the_text(client, cast, conversation):
    client.force_login(cast.pro_eu_organiser)
    url = f"/conversations/{conversation.pk}/reply/"
    response = client.post(url, {"body": "x" * 6000})
    assert response.status_code == 400
    assert "x" * 100 in response.content.decode(), "what was typed is not lost"
    response = client.post(url, {"body": "Saturday works"})
    assert response.status_code == 302
    assert Post.objects.filter(body="Saturday works").exists()


def test_posting_is_rate_limited(client, cast, conversation, settings):
    settings.RATE_LIMIT_MULTIPLIER = 1
    client.force_login(cast.pro_eu_organiser)
    url = f"/conversations/{conversation.pk}/reply/"
    statuses = [client.post(url, {"body": f"n{i}"}).status_code for i in range(62)]
    assert statuses[:60] == [302] * 60
    assert statuses[-1] == 429
    assert Post.objects.filter(conversation=conversation).count() == 61


def test_opening_a_conversation_from_a_seat_link(client, cast):
    client.force_login(cast.staffer)
    page = client.get(f"/conversations/new/?seat={cast.seat.pk}").content.decode()
    assert "Working together in Marginalton" in page
    response = client.post(
        f"/conversations/new/?seat={cast.seat.pk}",
        {
            "title": "Working together in Marginalton",
            "scope_kind": "seat",
            "constituency": cast.seat.pk,
            "groups": [cast.pro_eu.pk],
            "visibility": "private",
            "body": "Hello neighbours",
        },
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert response["Location"] == conversation.get_absolute_url()
    assert OutboxEmail.objects.filter(to_email=cast.pro_eu_organiser.email).count() == 1


def test_talk_to_the_other_side_of_a_clash_prefills(client, cast):
    from django.apps import apps

    start = timezone.now() + timedelta(days=4)
    a = EventFactory(group=cast.pro_eu, title="EU stall", starts_at=start)
    b = EventFactory(group=cast.other_group, title="Green canvass", starts_at=start)
    clash = apps.get_model("clashes", "Clash").objects.create(
        event_a=min(a, b, key=lambda e: e.pk), event_b=max(a, b, key=lambda e: e.pk)
    )
    client.force_login(cast.pro_eu_organiser)
    page = client.get(f"/conversations/new/?clash={clash.pk}").content.decode()
    assert "Clash: " in page and "EU stall" in page and "Green canvass" in page
    assert f'name="clash" value="{clash.pk}"' in page
    client.force_login(cast.outsider)
    assert client.get(f"/conversations/new/?clash={clash.pk}").status_code == 403
    client.force_login(cast.other_staff)
    assert client.get(f"/conversations/new/?clash={clash.pk}").status_code == 200
    client.force_login(cast.staffer)  # staff of an uninvolved party
    assert client.get(f"/conversations/new/?clash={clash.pk}").status_code == 404


def test_forged_unsubscribe_links_are_404_and_get_changes_nothing(client, cast, conversation):
    assert client.get("/conversations/unsubscribe/forged/").status_code == 404
    token = services.unsubscribe_token(
        user_id=cast.pro_eu_organiser.pk, what=f"conversation:{conversation.pk}"
    )
    assert client.get(f"/conversations/unsubscribe/{token}/").status_code == 200
    assert Participant.objects.get(user=cast.pro_eu_organiser).email_mode == "instant"
    assert client.post(f"/conversations/unsubscribe/{token}/").status_code == 200
    assert Participant.objects.get(user=cast.pro_eu_organiser).email_mode == "none"


@pytest.mark.parametrize("weekly", [True, False])
def test_digest_setting(client, cast, weekly):
    client.force_login(cast.pro_eu_member)
    data = {"weekly": "on"} if weekly else {}
    assert client.post("/conversations/digest/", data).status_code == 302
    assert cast.pro_eu_member.digest_subscription.weekly is weekly


def test_proposal_and_invitation_forms_have_pages_of_their_own(client, cast, conversation):
    client.force_login(cast.staffer)
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert 'name="statement"' not in page and 'name="groups"' not in page  # a light page
    assert "Make a proposal" in page and "Invite people" in page
    form = client.get(f"/conversations/{conversation.pk}/proposals/new/")
    assert form.status_code == 200 and 'name="statement"' in form.content.decode()
    response = client.post(
        f"/conversations/{conversation.pk}/proposals/new/", {"statement": "Kept <i>text</i>"}
    )
    assert response.status_code == 400
    assert "Kept &lt;i&gt;text&lt;/i&gt;" in response.content.decode(), "what was typed stays"
    response = client.post(f"/conversations/{conversation.pk}/invite/", {})
    assert response.status_code == 400, response.status_code
    assert "Choose at least one group" in response.content.decode()
    client.force_login(cast.pro_eu_organiser)  # a participant, not an organiser
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "Make a proposal" in page and "Invite people" not in page
    assert client.get(f"/conversations/{conversation.pk}/invite/").status_code == 403
