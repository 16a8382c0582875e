"""In Chromium: the main pages load under the Content-Security-Policy without one violation,
and htmx still starts (its config comes from a meta tag, not an inline script)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import browser_login
from tests.events.factories import EventFactory
from tests.factories import GroupFactory, PartyFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _visit(page, path, console):
    response = page.goto(path)
    page.wait_for_load_state("load")
    assert response.headers.get("content-security-policy"), path
    violations = page.evaluate("window.__cspViolations")
    reported = [text for text in console if "Content Security Policy" in text]
    assert not violations and not reported, (path, violations, reported)
    if not path.startswith("/admin/"):  # the admin has its own templates, without htmx
        assert page.evaluate("typeof window.htmx") == "object", path
        assert page.evaluate("htmx.config.includeIndicatorStyles") is False


def test_main_pages_load_without_a_csp_violation(page, live_server):
    party = PartyFactory(colour="#aa3355")
    group = GroupFactory(name="Colourful Group", party=party)
    PetitionFactory(group=group, title="Open the library", slug="library")
    # Two overlapping events this week: the week's time grid places them by classes only.
    soon = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for title in ("Stall", "Rally"):
        EventFactory(group=group, title=title, starts_at=soon, ends_at=soon + timedelta(hours=2))
    user = UserFactory(email="reader@example.org", is_staff=True, is_superuser=True)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.context.add_init_script(WATCH_VIOLATIONS)

    for path in ("/", "/groups/", group.get_absolute_url(), "/events/", "/events/week/",
                 "/petitions/", "/petitions/library/", "/seats/", "/seats/map/", "/accounts/login/",
                 "/no-such-page/"):  # fmt: skip
        _visit(page, path, console)
    # A party badge's colour is a style attribute: allowed, and applied.
    page.goto(group.get_absolute_url())
    colour = page.locator(".party-badge").first.evaluate(
        "el => getComputedStyle(el).getPropertyValue('--party').trim()"
    )
    assert colour == "#aa3355"

    browser_login(page, user.email)
    signed_in_pages = [
        "/groups/mine/",
        "/events/my-calendar/",
        "/accounts/profile/",
        "/accounts/2fa/totp/activate/",
        "/admin/",
        "/admin/events/event/add/",
    ]
    for path in signed_in_pages:
        _visit(page, path, console)
