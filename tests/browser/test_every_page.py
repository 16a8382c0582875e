"""Every page, as each kind of visitor, on a phone (390 px) and a desktop (1280 px).

The pages come from the URL resolver: each named route is visited through an example path filled
from a seeded world (tests/security's `world`, the access table's rows, a conversation and the
sample open primary). A new route without an example fails the test until it gets one here (or
a reason to skip it), so new pages are covered as they are added. Routes that answer GET with
405 (POST-only) or with something other than HTML (files, feeds, CSV) are not pages: skipped.

A page fails if the document is wider than the window, if visible text is smaller than 12 px
(SVG text at its drawn size), if a tap target in <main> is smaller than 24 x 24 px (links inside
running text excepted, as WCAG 2.5.8 does), or if axe-core (axe-playwright-python, which bundles
it) reports a serious or critical violation. Screenshots of the main pages at both widths go to
tests/browser/artifacts/screenshots/ (git-ignored; CI keeps the folder as an artefact), and a
report of every page and actor to tests/browser/artifacts/every_page.txt.

A page that does not load in time (PAGE_TIMEOUT_MS, or its own in SLOW_PAGES) or fails to load
fails the test with its path; after a failed navigation the next path opens in a fresh tab (see
_fresh_page). EVERY_PAGE=/events/new/,/groups/ checks only the paths containing one of those
pieces (after changing a few pages).
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from events.models import Event
from groups.models import Group
from petitions.models import Petition
from primaries import demo as primaries_demo
from primaries.models import Primary
from seats.models import BoundarySet, Constituency
from tests.security import url_table
from tests.security.conftest import _confirmations_at_once, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

# Only the paths containing one of these comma-separated pieces, e.g.
# EVERY_PAGE=/events/new/,/groups/ (the test is one journey, so -k cannot pick pages).
ONLY = [piece for piece in os.environ.get("EVERY_PAGE", "").split(",") if piece]
# How long a page may take to load before it fails (the machine is shared and the test
# runs every page four times at two widths); a slower page names itself in SLOW_PAGES.
PAGE_TIMEOUT_MS = 30_000
SLOW_PAGES: dict[str, int] = {}
# Navigation errors that mean "not a page" rather than "broken": an error status with no
# body (a POST-only action's 405) and a file download.
NOT_A_PAGE_ERRORS = ("ERR_HTTP_RESPONSE_CODE_FAILURE", "Download is starting", "ERR_ABORTED")


def _fresh_page(context, page):
    """A new tab in place of one whose navigation failed. Chrome commits its own error page for
    a body-less error code (a POST-only action's 405) only after page.goto has raised, and that
    late navigation would interrupt the next path's; the new tab has nothing in flight, and the
    context keeps the actor's session."""
    page.close()
    return context.new_page()


def _bodyless(page, path: str) -> bool:
    """Whether `path` answers an error code with no body (a POST-only action's 405, a bare
    403): Chrome shows its own error page for those, which is not ours to check. Asked again
    without the browser, so that a page that really fails to load is still reported."""
    response = page.request.get(path, max_redirects=0)
    return response.status >= 400 and not response.body().strip()


ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}

# Routes that are not pages for a person to read, or need what a seeded world cannot give.
SKIP = {
    "health": "a probe for the load balancer (JSON)",
    "ping": "the bench's bare view",
    "account_confirm_email": "needs a key from an email allauth sends (allauth's own page)",
    "account_reset_password_from_key": "needs a key from an email allauth sends",
    "mfa_authenticate": "only mid-login with a second factor set up",
    "mfa_reauthenticate": "only with a second factor set up",
    "mfa_deactivate_totp": "only with a second factor set up",
    "mfa_view_recovery_codes": "only with a second factor set up",
    "mfa_generate_recovery_codes": "only with a second factor set up",
    "account_confirm_login_code": "only mid-login by emailed code",
    "account_reauthenticate": "only when a sensitive change asks for the password again",
    # Pages opened only from a signed link in an email: their browser journeys open them
    # (tests/browser/test_mailing_list.py, tests/browser/test_guest_rsvp.py).
    "mailinglists:confirm": "needs a signed token from a list confirmation email",
    "mailinglists:unsubscribe": "needs a signed token from a list email",
    "mailinglists:forget": "needs a signed token from a list email",
    "events:guest_rsvp_manage": "needs a signed token from a guest's email",
    "conversations:unsubscribe_one_click": "a POST from a mail provider (RFC 8058), no page",
    "primaries:candidate_photo": "an image file, not a page",
}

# Examples for routes with parameters that the access table has no GET row for.
EXAMPLES = [
    # the sample data first: the screenshots show these
    "/groups/{demo_group}/",
    "/events/{demo_event}/",
    "/petitions/{demo_petition}/",
    "/seats/{demo_seat_boundary_set}/{demo_seat_code}/",
    "/seats/advice/{demo_seat_code}/",
    "/groups/{group_b}/",
    "/groups/{group_b}/contact/",
    "/groups/{group_b}/join/",
    "/groups/{group_b}/coalition/",
    "/groups/{group_b}/coalition.ics",
    "/lists/{group_b}/subscribe/",
    "/groups/{group_b}/leave/",
    "/events/{event_b}/",
    "/events/new/",
    "/petitions/{petition_b}/",
    "/petitions/{petition_b}/signed/",
    "/seats/advice/{seat_code}/",
    "/seats/embed/{seat_code}/",
    "/seats/{seat_boundary_set}/{seat_code}/",
    "/priorities/join/{round_b_code}/",
    "/priorities/statements/{statement_b}/",
    "/priorities/regions/{group_region}/",
    "/primaries/{primary}/",
    "/primaries/{primary}/can-i-vote/",
    "/primaries/{primary}/register/",
    "/primaries/{primary}/register/sent/",
    "/primaries/{primary}/receipt/",
    "/primaries/{primary}/result/",
    "/primaries/agreement/{primary_agreement}/",
    "/primaries/agreement/{primary_agreement}/roll/",
    "/conversations/{conversation}/",
    "/conversations/proposals/{proposal}/",
    # tokens from emails: a wrong token shows the page a stale link shows
    "/groups/invitations/{invitation_b_token}/",
    "/petitions/s/not-a-token/confirm/",
    "/petitions/s/not-a-token/remove/",
    "/petitions/s/not-a-token/unsubscribe/",
    "/petitions/my-signature/not-signed/",
    "/seats/alerts/not-a-token/confirm/",
    "/seats/alerts/not-a-token/unsubscribe/",
    "/events/clashes/unsubscribe/not-a-token/",
    "/conversations/unsubscribe/not-a-token/",
    "/primaries/confirm/not-a-token/",
    "/primaries/vote/not-a-token/",
    "/petitions/{petition_b}/image/missing.png",
    "/petitions/{petition_b}.json",
    "/petitions/{petition_b}/sign/",
    "/events/{event_b}/event.ics",
    "/events/{event_b}/rsvp/",
    "/events/feeds/group/{group_b}.ics",
    "/events/feeds/party/labour.ics",
    "/events/feeds/private/not-a-token.ics",
    "/seats/advice/{seat_code}/alert/",
    "/primaries/agreement/{primary_agreement}/rules/",
    "/primaries/agreement/{primary_agreement}/candidate/",
    "/primaries/agreement/{primary_agreement}/accept/",
    "/primaries/agreement/{primary_agreement}/roll/1/",
    "/primaries/{primary}/ballots.csv",
    "/petitions/my-signature/not-signed/download/",
]

# Pages whose screenshots a person looks at (both widths, first actor who may see them).
MAIN_PAGES = {
    "home",
    "privacy",
    "groups:list",
    "groups:detail",
    "groups:create",
    "events:list",
    "events:month",
    "events:week",
    "events:agenda",
    "events:detail",
    "events:create",
    "clashes:list",
    "clashes:detail",
    "petitions:list",
    "petitions:detail",
    "petitions:dashboard",
    "seats:list",
    "seats:map",
    "seats:pacts",
    "seats:reciprocity",
    "seats:detail",
    "seats:advice",
    "seats:swap",
    "seats:agreement_list",
    "seats:agreement_detail",
    "conversations:list",
    "conversations:detail",
    "priorities:index",
    "priorities:round",
    "priorities:results",
    "primaries:index",
    "primaries:detail",
    "primaries:setup",
    "account_login",
    "account_signup",
}

CHECKS_JS = """
() => {
  const out = {width: document.documentElement.scrollWidth, window: window.innerWidth,
               wide: [], smallText: [], smallTargets: []};
  const shown = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
      if (e.classList && ['visually-hidden', 'skip-link', 'honeypot', 'ts-hidden-accessible']
          .some((name) => e.classList.contains(name))) return false;
    }
    return el.getClientRects().length > 0;
  };
  const describe = (el) => {
    const cls = typeof el.className === 'string' ? el.className : (el.className.baseVal || '');
    return el.tagName.toLowerCase() + (cls ? '.' + cls.trim().split(/\\s+/).join('.') : '');
  };
  if (out.width > out.window) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      // Hidden text counts too: a visually hidden box can still widen the page.
      if (r.right > out.window + 1) {
        const parent = el.parentElement && el.parentElement.getBoundingClientRect();
        if (!parent || parent.right <= out.window + 1) out.wide.push(describe(el));
      }
    }
    out.wide = out.wide.slice(0, 5);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.data.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('script, style, noscript, template, title, option')) continue;
    if (!shown(el)) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement && el.getScreenCTM) {
      const m = el.getScreenCTM();
      if (m) size = size * Math.hypot(m.a, m.b);
    }
    if (size < 11.95) {
      out.smallText.push(`${describe(el)} ${size.toFixed(1)}px "${node.data.trim().slice(0, 30)}"`);
    }
  }
  const main = document.querySelector('main') || document.body;
  const targets = main.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]');
  for (const el of targets) {
    if (!shown(el)) continue;
    const style = getComputedStyle(el);
    if (el.tagName === 'A' && style.display === 'inline') {
      // A link inside running text is exempt (WCAG 2.5.8, "inline").
      const block = el.parentElement.closest(
        'p, li, td, th, dd, dt, label, legend, figcaption, small, blockquote, div');
      if (block && block.textContent.trim().length > el.textContent.trim().length + 2) continue;
    }
    let r = el.getBoundingClientRect();
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      const l = el.labels[0].getBoundingClientRect();
      r = {width: Math.max(r.right, l.right) - Math.min(r.left, l.left),
           height: Math.max(r.bottom, l.bottom) - Math.min(r.top, l.top)};
    }
    if (r.width < 23.5 || r.height < 23.5) {
      const label = (el.textContent || el.getAttribute('aria-label') || el.name || '').trim();
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      out.smallTargets.push(`${describe(el)} ${size} "${label.slice(0, 30)}"`);
    }
  }
  // Copy a person should never see: Django's blank choice and django-filter's unnamed field.
  out.copy = [];
  for (const option of document.querySelectorAll('option')) {
    if (option.textContent.trim().startsWith('-----')) {
      out.copy.push(`a select offers "---------" (${option.parentElement.name || '?'})`);
    }
  }
  if (document.body.innerText.includes('[invalid name]')) out.copy.push('"[invalid name]"');
  out.smallText = out.smallText.slice(0, 8);
  out.smallTargets = out.smallTargets.slice(0, 8);
  return out;
}
"""


def _routes() -> list[tuple[str, str]]:
    """(name, route) of every named URL of the project (Django's admin aside)."""

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}", route

    return list(walk(get_resolver().url_patterns))


def _route_name(path: str) -> str | None:
    try:
        return resolve(path.split("?")[0]).view_name
    except Resolver404:
        return None


def _demo_values() -> dict:
    """`make run`'s sample (real results and hex maps from ../shared/data, events, petitions,
    a priorities round, an open primary): the pages at their real size."""
    call_command("demo_load", stdout=StringIO())
    primary = Primary.objects.get(agreement__constituency__name=primaries_demo.SEAT)
    seat = Constituency.objects.exclude(boundary_set=BoundarySet.SAMPLE).order_by("name").first()
    return {
        "primary": primary.pk,
        "primary_agreement": primary.agreement_id,
        "demo_seat_code": seat.ons_code,
        "demo_seat_boundary_set": seat.boundary_set,
        "demo_petition": Petition.objects.filter(is_sample=True).order_by("pk").first().slug,
        "demo_group": Group.objects.filter(contact_email__endswith="demo.alliance.test")
        .order_by("pk")
        .first()
        .slug,
        "demo_event": Event.objects.order_by("starts_at").last().pk,
    }


def _package_values(seeded) -> dict:
    """A package of the world's agreement and a second seat, proposed by P1's staff."""
    from seats import packages
    from seats import services as seat_services
    from tests.factories import ConstituencyFactory

    agreement = seeded.agreement
    links = {ap.role: ap.party for ap in agreement.parties.all()}
    second = seat_services.agreement_propose(
        user=seeded.staff_p1,
        election=agreement.election,
        constituency=ConstituencyFactory(name="Swingford"),
        arrangement="stand_aside",
        carries_hopes=links["stands_aside"],
        stands_aside=[links["carries_hopes"]],
        red_lines="No deals on the NHS.",
    )
    package = packages.package_propose(
        user=seeded.staff_p1,
        election=agreement.election,
        name="Marginal pair",
        agreements=[agreement, second],
    )
    return {"package": package.pk}


def _paths(seeded) -> list[str]:
    values = url_table.placeholders(seeded)
    values.update(url_table.conversation_world(seeded))
    values.update(url_table.ranked_poll_world(seeded, values["conversation"]))
    values.update(url_table.mailinglist_world(seeded))
    values.update(url_table.coalition_world(seeded))
    values.update(_package_values(seeded))
    values.update(_demo_values())
    seat = seeded.agreement.constituency
    values.update(
        seat_code=seat.ons_code,
        seat_boundary_set=seat.boundary_set,
        group_region=seeded.group_b.region or "E12000009",
    )
    rows = [
        *url_table.ORGANISER_URLS,
        *url_table.STAFF_URLS,
        *url_table.INVITATION_URLS,
        *url_table.CONVERSATION_URLS,
        *url_table.SWAP_URLS,
        *url_table.TIME_POLL_URLS,
        *url_table.CONVERSATION_FORM_PAGE_URLS,
        *url_table.MAILINGLIST_URLS,
        *url_table.COALITION_URLS,
        *url_table.GUEST_RSVP_URLS,
        *url_table.STALL_URLS,
        *url_table.PETITION_RESPONSE_URLS,
        *url_table.SWAP_CHOICE_URLS,
        *url_table.PACKAGE_URLS,
        *url_table.RANKED_POLL_URLS,
        *url_table.LINK_END_URLS,
    ]
    # POST rows too: a GET there answers 405 (skipped) or shows the form.
    paths = [path.format(**values) for _, _, path, _ in rows]
    paths += [example.format(**values) for example in EXAMPLES]
    for name, route in _routes():
        if "<" not in route and "(?P" not in route and name not in SKIP:
            paths.append("/" + route.lstrip("^").rstrip("$"))
    return list(dict.fromkeys(paths))


def _actors(seeded) -> dict:
    return {
        "signed-out": None,
        "member": seeded.member_b,
        "organiser": seeded.organiser_b,
        "party staff": seeded.staff_p1,
    }


def _session_cookie(user, base_url: str) -> list[dict]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": cookie.key, "value": cookie.value, "url": base_url}]


def _problems(page, axe: Axe) -> list[str]:
    found = page.evaluate(CHECKS_JS)
    problems = []
    if found["width"] > found["window"]:
        wide = ", ".join(found["wide"])
        problems.append(f"wider than the window ({found['width']} px > {found['window']}): {wide}")
    if found["smallText"]:
        problems.append("text under 12 px: " + "; ".join(found["smallText"]))
    if found["smallTargets"]:
        problems.append("tap targets under 24 px: " + "; ".join(found["smallTargets"]))
    problems += found["copy"]
    results = axe.run(page, options={"resultTypes": ["violations"]})
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            problems.append(f"axe {violation['id']} ({violation['impact']}): {nodes}")
    return problems


def test_every_page_fits_a_phone_and_passes_axe(_playwright_browser, live_server, world):  # noqa: F811
    paths = _paths(world)
    covered = {_route_name(path) for path in paths}
    missing = [name for name, _ in _routes() if name not in covered and name not in SKIP]
    assert not missing, f"routes with no example path in test_every_page.py: {missing}"
    if ONLY:
        paths = [path for path in paths if any(piece in path for piece in ONLY)]
        assert paths, f"EVERY_PAGE={','.join(ONLY)} matches no page"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    failures, report, shot = [], [], set()
    for actor, user in _actors(world).items():
        for width_name, (width, height) in WIDTHS.items():
            context = _playwright_browser.new_context(
                base_url=live_server.url, viewport={"width": width, "height": height}
            )
            context.set_default_timeout(15_000)
            if user is not None:
                context.add_cookies(_session_cookie(user, live_server.url))
            page = context.new_page()
            checked = set()
            for path in paths:
                timeout = SLOW_PAGES.get(path.split("?")[0], PAGE_TIMEOUT_MS)
                try:
                    response = page.goto(path, timeout=timeout)
                except PlaywrightTimeoutError:
                    page = _fresh_page(context, page)
                    problem = f"did not load within {timeout // 1000} s"
                    failures.append(f"{actor} {width_name} {path}: {problem}")
                    report.append(f"{actor:11} {width_name:7} --- FAIL {path}\n    {problem}")
                    continue
                except PlaywrightError as error:
                    page = _fresh_page(context, page)
                    if any(sign in str(error) for sign in NOT_A_PAGE_ERRORS) or _bodyless(
                        page, path
                    ):
                        continue  # an error code with no body, or a file download
                    problem = f"failed to load: {str(error).splitlines()[0]}"
                    failures.append(f"{actor} {width_name} {path}: {problem}")
                    report.append(f"{actor:11} {width_name:7} --- FAIL {path}\n    {problem}")
                    continue
                status = response.status if response else 0
                kind = (response.headers.get("content-type", "") if response else "").split(";")[0]
                if status == 405 or kind != "text/html":
                    continue  # not a page: a POST-only action, a file or a feed
                if not page.locator("main").count():
                    continue  # an htmx fragment, shown inside a page that is checked
                landed = page.url.split("?")[0]
                if landed in checked or (status >= 400 and status in checked):
                    report.append(f"{actor:11} {width_name:7} {status} (seen) {path}")
                    continue  # a redirect to a page checked already (the sign-in page)
                # An error page is one template: check it once per actor and width.
                checked.update({landed, status} if status >= 400 else {landed})
                problems = _problems(page, axe)
                verdict = "FAIL" if problems else "ok"
                report.append(f"{actor:11} {width_name:7} {status} {verdict:4} {path}")
                for problem in problems:
                    failures.append(f"{actor} {width_name} {path}: {problem}")
                    report.append(f"    {problem}")
                route = _route_name(path)
                if status == 200 and route in MAIN_PAGES and (route, width_name) not in shot:
                    shot.add((route, width_name))
                    filename = f"{route.replace(':', '-')}-{width_name}.png"
                    page.screenshot(path=SCREENSHOTS / filename, full_page=True)
            context.close()
    (ARTIFACTS / "every_page.txt").write_text("\n".join(report) + "\n")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
