"""Every page carries a Content-Security-Policy that lets only our own files run."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import path, reverse

from tests.factories import GroupFactory, PartyFactory

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_policy_is_on_every_kind_of_page(client, user, signed_in):
    group = GroupFactory(party=PartyFactory())
    if signed_in:
        client.force_login(user)
    urls = [
        reverse("home"),
        reverse("groups:list"),
        group.get_absolute_url(),
        reverse("events:list"),
        reverse("petitions:list"),
        reverse("seats:list"),
        "/no-such-page/",  # the 404 page
        "/petitions/s/%00/confirm/",  # refused by middleware, still covered
    ]
    if signed_in:
        urls += [reverse("accounts:profile"), reverse("mfa_index")]
    else:
        urls += [reverse("account_login"), reverse("account_signup")]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = _policy(response)
        for directive, value in REQUIRED.items():
            assert policy.get(directive) == value, (url, directive, policy)
        # No inline or evaluated script, whatever else changes.
        assert "unsafe" not in policy["script-src"]
        assert "unsafe" not in policy["style-src"]


def test_no_template_has_an_inline_script_or_handler():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if inline_script.search(text) or handler.search(text):
            offenders.append(str(template.relative_to(ROOT)))
    assert not offenders


def test_every_style_element_is_allowed_by_its_hash():
    """The 500/503 pages carry their own <style> (no static files while something is broken)."""
    allowed = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    found = 0
    for template in (ROOT / "templates").rglob("*.html"):
        if "/email/" in str(template):
            continue  # emails are not web pages
        for css in re.findall(r"<style>(.*?)</style>", template.read_text(), re.S):
            digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in allowed, template
            found += 1
    assert found == 2


@pytest.mark.django_db
def test_the_500_page_keeps_the_policy_and_its_style(client, settings):
    def boom(request):
        raise RuntimeError("a bug")

    settings.ROOT_URLCONF = type(
        "URLConf",
        (),
        {"urlpatterns": [path("boom/", boom)], "handler500": "alliance.views.error_500"},
    )
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert _policy(response)["script-src"] == "'self'"
    assert django_settings.ERROR_PAGE_STYLE_HASH in _policy(response)["style-src"]
