"""Access to conversations: a private conversation of group B's organiser (and its proposal)
refuses anonymous visitors (to sign in), group A's organiser and member, group B's member who
was not invited, an outsider and staff of a party; nothing changes after a refused POST.
Group B's organiser gets through: the URLs are real."""

import pytest

from tests.security.conftest import db_snapshot as base_snapshot
from tests.security.url_table import (
    CONVERSATION_FORM_PAGE_URLS,
    CONVERSATION_URLS,
    RANKED_POLL_URLS,
    TIME_POLL_URLS,
    conversation_world,
    fill,
    ranked_poll_world,
)

URLS = CONVERSATION_URLS + TIME_POLL_URLS + CONVERSATION_FORM_PAGE_URLS + RANKED_POLL_URLS


def db_snapshot() -> dict:
    from conversations.models import (
        Answer,
        Conversation,
        Participant,
        PollOption,
        PollVote,
        Post,
        Proposal,
        RankedBallot,
        RankedOption,
    )
    from outbox.models import OutboxEmail

    return {
        **base_snapshot(),
        "conversations": list(
            Conversation.objects.order_by("pk").values_list("pk", "status", "title")
        ),
        "participants": list(
            Participant.objects.order_by("pk").values_list("pk", "left_at", "email_mode")
        ),
        "posts": list(Post.objects.order_by("pk").values_list("pk", "body")),
        "proposals": list(Proposal.objects.order_by("pk").values_list("pk", "status", "outcome")),
        "answers": list(Answer.objects.order_by("pk").values_list("pk", "position")),
        "poll_options": PollOption.objects.count(),
        "poll_votes": list(PollVote.objects.order_by("pk").values_list("pk", "availability")),
        "ranked_options": RankedOption.objects.count(),
        "rankings": list(RankedBallot.objects.order_by("pk").values_list("pk", "ranking")),
        "emails": OutboxEmail.objects.count(),
    }


@pytest.fixture
def conversation_placeholders(world, monkeypatch):
    from tests.security import url_table as urls

    extra = conversation_world(world)
    extra.update(ranked_poll_world(world, extra["conversation"]))
    original = urls.placeholders
    monkeypatch.setattr(urls, "placeholders", lambda w: {**original(w), **extra})
    return extra


def _request(client, world, method, path, data):
    url, payload = fill(world, path, data)
    return getattr(client, method)(url, payload or {})


@pytest.mark.parametrize("name, method, path, data", URLS, ids=[row[0] for row in URLS])
def test_conversation_urls_refuse_everyone_else(
    client, world, conversation_placeholders, name, method, path, data
):
    before = db_snapshot()
    response = _request(client, world, method, path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    for who in ["organiser_a", "member_a", "member_b", "outsider", "staff_p1", "staff_p3"]:
        client.force_login(getattr(world, who))
        response = _request(client, world, method, path, data)
        assert response.status_code in {403, 404}, (who, response.status_code)
        assert "Beta&#x27;s private plans" not in response.content.decode()
        assert db_snapshot() == before, who


GETS = [row for row in URLS if row[1] == "get"]


@pytest.mark.parametrize("name, method, path, data", GETS, ids=[row[0] for row in GETS])
def test_group_b_organiser_gets_the_pages(
    client, world, conversation_placeholders, name, method, path, data
):
    client.force_login(world.organiser_b)
    assert _request(client, world, method, path, data).status_code == 200


def test_every_conversations_url_is_in_the_table_or_for_everyone(world, conversation_placeholders):
    from django.urls import resolve

    import conversations.urls

    # Signed-in pages about oneself, and the signed one-click links (tests/conversations,
    # test_one_click.py for the RFC 8058 endpoint).
    for_everyone = {"list", "create", "digest", "unsubscribe", "unsubscribe_one_click"}
    in_table = {
        resolve(fill(world, path, data)[0].split("?")[0]).url_name
        for _name, _method, path, data in URLS
    }
    names = {pattern.name for pattern in conversations.urls.urlpatterns}
    assert not names - for_everyone - in_table, "add them to CONVERSATION_URLS"
