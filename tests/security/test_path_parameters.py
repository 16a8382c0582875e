"""Every URL with a path parameter answers a malformed value with a 4xx, never a 500.

The walk covers every pattern Django knows (ours, allauth's, the admin's), so a URL added
later is tested without anyone remembering to list it. Each parameter in turn gets each bad
value, the others a value that names a real object (so the bad one reaches the view's
lookups), for an anonymous visitor, a signed-in organiser and a superuser, by GET and POST.
"""

import re
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.factories import UserFactory

BAD_VALUES = [
    "\x00",
    "abc\x00def",
    "line\nbreak",
    "a" * 3000,
    "9" * 40,
    "-1",
    "0",
    "été-漢字",
    "%FF%FE",  # sent as-is: not valid UTF-8 once decoded
    "..",
    "a:b:c",
    "x" * 64 + ":" + "y" * 27,  # shaped like a signed token, signed by nobody
]

ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


def _regex_to_template(regex: str) -> str:
    """`^confirm-email/(?P<key>[-:\\w]+)/$` -> `confirm-email/{key}/`."""
    out, i = [], 0
    regex = regex.lstrip("^").rstrip("$")
    while i < len(regex):
        match = REGEX_GROUP.match(regex, i)
        if not match:
            out.append(regex[i].replace("\\", ""))
            i += 1
            continue
        depth, j = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[j], 0) if regex[j - 1] != "\\" else 0
            j += 1
        out.append("{" + match["name"] + "}")
        i = j
    return "".join(out)


def _template(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return ROUTE_PARAMETER.sub(lambda m: "{" + m["name"] + "}", str(pattern))
    return _regex_to_template(str(pattern))


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        template = prefix + _template(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, template)
        elif isinstance(entry, URLPattern) and "{" in template:
            yield template


# Every model admin has the same five URLs served by the same code: two models stand for all.
ADMIN_MODEL = re.compile(r"^admin/(?!accounts/user/|events/event/)\w+/\w+/\{")
ALL_TEMPLATES = sorted(set(_walk(get_resolver())))
TEMPLATES = [template for template in ALL_TEMPLATES if not ADMIN_MODEL.match(template)]


def _real_values(world, template: str) -> dict[str, str]:
    """A value naming a real object for each parameter, so a bad sibling reaches the view."""
    pk = world.event_b.pk
    slug = world.group_b.slug
    if template.startswith("petitions/"):
        slug = world.petition_b.slug
    elif template.startswith("seats/agreements/"):
        pk = world.agreement.pk
    elif template.startswith("seats/swap/"):
        pk = world.swap.pk
    elif template.startswith("events/clashes/"):
        pk = world.clash_b.pk
    elif template.startswith("events/imports/feed/"):
        pk = world.feed_b.pk
    return {
        "pk": str(pk),
        "slug": slug,
        "group_slug": world.group_b.slug,
        "link_id": "1",
        "object_id": str(world.organiser_b.pk),
        "boundary_set": "2024",
        "ons_code": "E14000001",
    }


def _paths(world):
    for template in TEMPLATES:
        names = re.findall(r"{(\w+)}", template)
        real = _real_values(world, template)
        for name in names:
            for bad in BAD_VALUES:
                values = {other: real.get(other, "x") for other in names}
                values[name] = bad if bad.startswith("%") else quote(bad, safe="")
                yield "/" + template.format(**values)


class _Rollback(Exception):
    pass


def _status_rolled_back(method, path) -> int:
    """The status of one request, in a savepoint undone afterwards: a POST changes nothing for
    the next one, and a database error cannot poison the rest of the walk."""
    status = 0
    try:
        with transaction.atomic():
            status = method(path).status_code
            raise _Rollback
    except _Rollback:
        pass
    return status


@pytest.mark.django_db
def test_the_walk_sees_every_kind_of_pattern():
    assert len(ALL_TEMPLATES) > 150  # ours, allauth's and the admin's
    assert "admin/events/event/{object_id}/change/" in TEMPLATES
    assert "petitions/s/{token}/confirm/" in TEMPLATES
    assert "accounts/confirm-email/{key}/" in TEMPLATES
    assert "seats/{boundary_set}/{ons_code}/" in TEMPLATES


@pytest.mark.parametrize("who", ["anonymous", "organiser", "superuser"])
def test_no_malformed_path_parameter_gets_a_500(world, who):
    client = Client(raise_request_exception=False)
    if who == "organiser":
        client.force_login(world.organiser_b)
    elif who == "superuser":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    failures = []
    for path in _paths(world):
        for method in (client.get, client.post):
            status = _status_rolled_back(method, path)
            if status >= 500:
                failures.append(f"{method.__name__.upper()} {path[:120]!r} -> {status}")
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures[:60])


@pytest.mark.django_db
@pytest.mark.parametrize("character", ["%00", "%01", "%0A", "%1F", "%7F"])
def test_a_control_character_anywhere_in_the_path_is_a_404_page(client, character):
    for path in (f"/petitions/s/{character}/confirm/", f"/groups/{character}/", f"/{character}"):
        response = client.get(path)
        assert response.status_code == 404
        assert b"<html" in response.content  # the site's own 404 page, not a bare error
