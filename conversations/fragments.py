"""HTML that every viewer of a conversation sees alike, rendered once and kept in Redis.

Three parts of the conversation page are the same for everyone allowed to read it: the newest
page of posts (POSTS_PER_PAGE; older pages, ?before=<post id>, are rendered each time), the
list of proposals and the list of participants. The viewer's access is checked by the view
before a fragment is looked up, and nothing in a fragment depends on who asks (no forms, no
CSRF token, no "you": what awaits the viewer's answer is a query of its own). They are stored
under the conversation's *version*, a random token in the cache:

- `conversation_fragments_expire(conversation_ids=...)` deletes the token when something
  changes, and again after the writing transaction commits (a post, a proposal put, closed
  or decided, someone invited, leaving or erased); the next reader draws a new token, so
  every old fragment of that conversation is unreachable at once.
- A token evicted by Redis is drawn anew the same way (`cache.add`, so two readers agree), so
  eviction can only cost a render, never show stale posts.
- A fragment lives FRAGMENT_SECONDS at most: a changed display name shows within that time.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from conversations.models import Participant, Post, Proposal

POSTS_PER_PAGE = 50
FRAGMENT_SECONDS = 600


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
