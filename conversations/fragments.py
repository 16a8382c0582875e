"""The conversation page, rendered once and kept in Redis as far as it is the same for many.

- **Fragments, the same for every reader**: the newest page of posts (POSTS_PER_PAGE; older
  pages, ?before=<post id>, are rendered each time), the list of proposals and the list of
  participants (`conversation_fragments`).
- **The main column around them, the same for every viewer of one kind**: a reader, a member
  or an organiser, by email setting, with the conversation open or closed (the reply and
  settings forms, the close button). Cached per kind with two placeholders for what is the
  viewer's own, filled per request: the CSRF token and what awaits their answer
  (`conversation_page`). Nothing cached names the viewer.
- **What awaits a participant's answer, per person**: their answer or time-poll vote expires
  it (`conversation_awaiting_expire`).

The viewer's access is checked by the view before anything is looked up. Everything is
stored under the conversation's *version*, a random token in the cache:

- `conversation_fragments_expire(conversation_ids=...)` deletes the token when something
  changes, and again after the writing transaction commits (a post, a proposal put, closed
  or decided, someone invited, leaving or erased); the next reader draws a new token, so
  every old fragment of that conversation is unreachable at once. Closing and a changed
  email setting change the viewer's kind, so they show at once too.
- A token evicted by Redis is drawn anew the same way (`cache.add`, so two readers agree), so
  eviction can only cost a render, never show stale posts.
- Anything cached lives FRAGMENT_SECONDS at most: a changed display name shows within that
  time.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from conversations.forms import EmailModeForm, PostForm
from conversations.models import Participant, Post, Proposal

POSTS_PER_PAGE = 50
FRAGMENT_SECONDS = 600
AWAITING_SHOWN = 5
# Markers in the cached main column, filled per request. HTML comments: autoescaped text from
# the database (a post, a title) turns "<" into "&lt;", so no user can type one.
CSRF_PLACEHOLDER = mark_safe("<!--csrf-token-->")  # noqa: S308
AWAITING_PLACEHOLDER = mark_safe("<!--awaiting-your-answer-->")  # noqa: S308


def _version_key(conversation_id: int) -> str:
    return f"conversations:version:{conversation_id}"


def _version(conversation_id: int) -> str:
    key = _version_key(conversation_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def conversation_fragments_expire(*, conversation_ids) -> None:
    """Forget every cached fragment of these conversations: now, and again once the current
    transaction commits (in between, a reader who cannot yet see the change may have cached
    the old HTML under a fresh token)."""
    keys = [_version_key(pk) for pk in set(conversation_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def _posts_page(*, conversation_id: int, before: int | None) -> dict:
    """The newest page (or the one before post `before`), oldest first, with the id to ask for
    older ones: no COUNT over a long thread, only the columns the page shows."""
    posts = (
        Post.objects.filter(conversation_id=conversation_id)
        .select_related("author")
        .only(
            "body_html",
            "created_at",
            "is_erased",
            "author__id",
            "author__name",
            "author__email",
        )
        .order_by("-pk")
    )
    if before is not None:
        posts = posts.filter(pk__lt=before)
    posts = list(posts[: POSTS_PER_PAGE + 1])
    older = posts[POSTS_PER_PAGE - 1].pk if len(posts) > POSTS_PER_PAGE else None
    return {"posts": posts[:POSTS_PER_PAGE][::-1], "older": older, "is_latest": before is None}


def _proposals(conversation_id: int) -> dict:
    proposals = (
        Proposal.objects.filter(conversation_id=conversation_id)
        .only("pk", "kind", "statement", "status", "deadline", "outcome_at")
        .order_by("-created_at", "-pk")
    )
    return {"proposals": proposals}


def _participants(conversation_id: int) -> dict:
    participants = (
        Participant.objects.current()
        .filter(conversation_id=conversation_id)
        .select_related("user")
        .only("role", "left_at", "user__id", "user__name", "user__email")
    )
    return {"participants": participants}


def conversation_fragments(*, conversation, before: int | None = None) -> dict[str, str]:
    """{"posts_html", "proposals_html", "participants_html"} for the conversation page, from
    the cache in one round trip when they are there. The caller has checked that the viewer
    may read the conversation. Only the newest page of posts is cached: `before` comes from
    the address, and caching every value someone types would fill Redis with copies."""
    version = _version(conversation.pk)
    keys = {
        "proposals_html": f"conversations:proposals:{conversation.pk}:{version}",
        "participants_html": f"conversations:participants:{conversation.pk}:{version}",
    }
    if before is None:
        keys["posts_html"] = f"conversations:posts:{conversation.pk}:{version}"
    found = cache.get_many(list(keys.values()))
    parts: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name, key in keys.items():
        if key in found:
            parts[name] = found[key]
            continue
        if name == "posts_html":
            context = _posts_page(conversation_id=conversation.pk, before=before)
            template = "conversations/_posts.html"
        elif name == "proposals_html":
            context, template = _proposals(conversation.pk), "conversations/_proposals.html"
        else:
            context = _participants(conversation.pk)
            template = "conversations/_participants.html"
        parts[name] = missing[key] = str(
            render_to_string(template, {"conversation": conversation, **context})
        )
    if before is not None:
        context = _posts_page(conversation_id=conversation.pk, before=before)
        parts["posts_html"] = str(
            render_to_string("conversations/_posts.html", {"conversation": conversation, **context})
        )
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)
    # Rendered above by autoescaping templates from the database, never from request input.
    return {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308


def _viewer_kind(participant: Participant | None) -> str:
    """What the main column shows differently per viewer: reply and settings forms for
    participants, the close button for organisers, the email setting ticked."""
    if participant is None:
        return "reader"
    role = "organiser" if participant.is_organiser else "member"
    return f"{role}-{participant.email_mode}"


def _body(*, conversation, participant, before, post_form) -> str:
    """The main column, rendered, with CSRF_PLACEHOLDER and AWAITING_PLACEHOLDER in it."""
    context = {
        "conversation": conversation,
        "participant": participant,
        **conversation_fragments(conversation=conversation, before=before),
        "post_form": post_form or PostForm(),
        "email_form": EmailModeForm(
            initial={"email_mode": participant.email_mode if participant else None}
        ),
        "csrf_token": CSRF_PLACEHOLDER,
        "awaiting_placeholder": AWAITING_PLACEHOLDER,
    }
    return str(render_to_string("conversations/_conversation_body.html", context))


def _awaiting(*, conversation, user) -> list[dict]:
    """The first AWAITING_SHOWN + 1 open proposals of the conversation `user` has not
    answered, soonest deadline first, as {"pk", "statement"}."""
    return list(
        Proposal.objects.filter(conversation=conversation)
        .unanswered_by(user)
        .order_by("deadline", "pk")
        .values("pk", "statement")[: AWAITING_SHOWN + 1]
    )


def _awaiting_key(conversation_id: int, version: str, user_id: int) -> str:
    return f"conversations:awaiting:{conversation_id}:{version}:{user_id}"


def conversation_page(
    *,
    conversation,
    participant: Participant | None,
    user,
    csrf_token: str,
    before: int | None = None,
    post_form=None,
) -> SafeString:
    """The conversation page's main column for `user`, from two cache round trips when
    nothing changed (the version, then the column and what awaits them).

    The column is cached per kind of viewer for the newest page of posts and an empty reply
    form; an older page or a reply form with errors (what was typed) is rendered each time.
    What awaits a participant's answer is cached per person under the same version (a
    proposal put or closed draws a new one; their answer expires it): its query's two
    EXISTS cost more to plan than the rest of the page."""
    version = _version(conversation.pk)
    state = "open" if conversation.is_open else "closed"
    keys = {}
    if before is None and post_form is None:
        kind = _viewer_kind(participant)
        keys["body"] = f"conversations:body:{conversation.pk}:{version}:{state}:{kind}"
    if participant is not None:
        keys["awaiting"] = _awaiting_key(conversation.pk, version, user.pk)
    found = cache.get_many(list(keys.values()))
    missing = {}
    body = found.get(keys.get("body"))
    if body is None:
        body = _body(
            conversation=conversation, participant=participant, before=before, post_form=post_form
        )
        if "body" in keys:
            missing[keys["body"]] = body
    awaiting = found.get(keys.get("awaiting"))
    if awaiting is None and participant is not None:
        awaiting = missing[keys["awaiting"]] = _awaiting(conversation=conversation, user=user)
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)

    awaiting_html = ""
    if awaiting:
        context = {"awaiting": awaiting, "awaiting_shown": AWAITING_SHOWN}
        awaiting_html = render_to_string("conversations/_awaiting.html", context)
    html = body.replace(CSRF_PLACEHOLDER, csrf_token).replace(AWAITING_PLACEHOLDER, awaiting_html)
    # The column and the awaiting list come from autoescaping templates; the token is
    # Django's (letters and digits).
    return mark_safe(html)  # noqa: S308


def conversation_awaiting_expire(*, conversation_id: int, user_id: int) -> None:
    """`user_id` answered in this conversation: forget what awaited them, now and again once
    the transaction commits (the same reason as conversation_fragments_expire)."""

    def forget() -> None:
        cache.delete(_awaiting_key(conversation_id, _version(conversation_id), user_id))

    forget()
    transaction.on_commit(forget, robust=True)
