"""A voter types their postcode and reads the pact's advice; a campaign site frames the card."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from groups.parties import parties_seed
from seats import services
from seats.models import Constituency, Election
from tests.factories import PartyStaffFactory

pytestmark = pytest.mark.browser

HEADLINE = "Labour and Lib Dems stand aside: vote Green"


@pytest.fixture
def pact_in_aldershot(shared_data, transactional_db):
    parties = {p.short_name: p for p in parties_seed()}
    call_command("seats_import_results", str(shared_data / "ge2024_results.csv"), election="ge2024")
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    codes = ("Green", "Lab", "LD")
    staff = {code: PartyStaffFactory(party=parties[code]).user for code in codes}
    agreement = services.agreement_propose(
        user=staff["Green"],
        election=Election.objects.get(slug="ge2024"),
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties["Green"],
        stands_aside=[parties["Lab"], parties["LD"]],
    )
    for code in codes:
        services.agreement_accept(agreement=agreement, user=staff[code], party=parties[code])
    return seat


@pytest.fixture
def campaign_site():
    """Another origin (another port) serving a plain page; `site.html` is what it serves."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = server.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.html = ""
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_voter_postcode_shows_the_pact(page, live_server, pact_in_aldershot, postcodes_server):
    postcodes_server.answers["GU111AA"] = pact_in_aldershot.ons_code
    page.goto("/seats/")
    page.get_by_label("How should I vote here? Your postcode").fill("gu11 1aa")
    page.get_by_role("button", name="Show advice").click()
    page.get_by_role("heading", name="How to vote in Aldershot").wait_for()
    assert page.get_by_role("heading", name=HEADLINE).is_visible()
    assert page.get_by_role("link", name="Swap your vote").is_visible()


def test_the_card_is_framed_on_another_site(page, live_server, pact_in_aldershot, campaign_site):
    embed = f"{live_server.url}/seats/embed/{pact_in_aldershot.ons_code}/"
    advice = f"{live_server.url}/seats/advice/{pact_in_aldershot.ons_code}/"
    campaign_site.html = (
        "<!doctype html><title>Campaign</title><h1>Our campaign</h1>"
        f'<iframe id="card" src="{embed}" title="advice card" width="400" height="300"></iframe>'
        f'<iframe id="page" src="{advice}" title="whole page" width="400" height="300"></iframe>'
    )
    page.goto(campaign_site.url)
    card = page.frame_locator("#card")
    card.get_by_role("heading", name=HEADLINE).wait_for()
    assert "Aldershot" in card.locator("body").text_content()
    # The rest of the site keeps X-Frame-Options DENY: the framed advice page stays empty.
    page.wait_for_timeout(500)
    framed = page.frame(url=advice)
    assert framed is None or "How to vote" not in (framed.content() or "")
