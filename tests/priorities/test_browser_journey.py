"""Sussex Progressives map their priorities at a meeting, in headless Chromium.

The organiser opens a round at the meeting and puts the projector view up; six people join
from their phones (390 px wide) with the code and add two notes each; the organiser drags
notes into clusters on the board (and uses a suggestion and a merge); everyone spends their
dots; the projector follows every step within 2 s. The round closes, its clusters become a
statement of shared priorities, two groups endorse it and it appears on both groups' pages.
"""

import re

import pytest
from playwright.sync_api import expect

from groups.models import Party
from priorities import live
from priorities.models import Cluster, Dot, Note, Round
from tests.conftest import browser_login
from tests.events.factories import EventFactory
from tests.factories import GroupFactory, UserFactory
from tests.priorities.factories import parties

pytestmark = pytest.mark.browser

LIVE = 2_000  # the projector must show each action within 2 s
PHONE = {"width": 390, "height": 844}

PEOPLE = [
    ("Ann", "Lab", ["NHS waiting lists", "Affordable housing for young people"]),
    ("Bea", "LD", ["NHS dentists", "Council housing"]),
    ("Cal", "Green", ["Insulate homes climate", "NHS mental health"]),
    ("Dev", "Lab", ["Climate action now", "Housing rents too high"]),
    ("Eve", "", ["Climate and flooding", "Hospital waiting times"]),
    ("Fin", "Green", ["Bus routes cut", "Climate transition jobs"]),
]


def _drop_recorded(board, text, cluster, before):
    """Drag the note onto the cluster until the server has it (a drop that lands while the
    board redraws itself can miss, and a person simply drops again, after reloading the page
    the second time), then wait for the board to show it; the projector's 2 s are counted
    from the recorded drop, not from a missed one. A loaded machine may take a few seconds to
    answer a drop."""
    statuses = []
    for attempt in range(3):
        if attempt == 2:
            board.reload()
        _note_locator(board, text).drag_to(board.locator(f'[data-cluster="{cluster.pk}"]'))
        for _ in range(50):
            if cluster.notes.count() == before + 1:
                _board_settled(board, cluster.round_id)
                return
            board.wait_for_timeout(100)
        statuses.append(board.locator("#board-live").get_attribute("data-last-status"))
    raise AssertionError(
        f"the board never recorded the drop of {text!r} (answers to the drops: {statuses})"
    )


def _board_settled(board, round_id):
    """Wait until the board shows the round as it is now (the answer to the organiser's last
    action has been swapped in), so that the next drag starts on a board that stays put."""
    current = f"?v={live.round_version(round_id)}"
    expect(board.locator("#board-live .poller")).to_have_attribute(
        "hx-get", re.compile(re.escape(current) + "$")
    )


def _note_locator(board, text):
    return board.locator("[data-note]", has_text=text).first


def test_a_meeting_maps_its_priorities_and_two_groups_endorse_them(
    _playwright_browser, live_server
):
    parties()
    organiser = UserFactory(name="Olive Organiser")
    sussex = GroupFactory(name="Sussex Progressives", organiser=organiser)
    lewes_organiser = UserFactory(name="Lew Organiser")
    lewes = GroupFactory(name="Lewes Greens", organiser=lewes_organiser)
    EventFactory(group=sussex, title="February members' meeting")

    browser = _playwright_browser
    organiser_context = browser.new_context(base_url=live_server.url)
    organiser_context.set_default_timeout(15_000)
    board = organiser_context.new_page()
    browser_login(board, organiser.email)

    # The organiser opens a round at the meeting.
    board.goto(f"/priorities/new/{sussex.slug}/")
    board.get_by_label("Title").fill("What should the Alliance fight for?")
    board.get_by_label("Event").select_option(label="February members' meeting")
    board.get_by_role("button", name="Open the round").click()
    board.get_by_role("heading", name="What should the Alliance fight for?").wait_for()
    round_ = Round.objects.get()
    assert round_.event.title == "February members' meeting"

    projector = organiser_context.new_page()
    projector.goto(f"/priorities/{round_.pk}/projector/")
    shown_code = f"{round_.code[:4]}-{round_.code[4:]}"
    expect(projector.get_by_label("Join code")).to_have_text(shown_code)
    expect(
        projector.get_by_alt_text("QR code that opens the join page for this round")
    ).to_be_visible()

    # Six phones join by the code on the screen and add their notes.
    phones = []
    notes_so_far = 0
    for name, party_short, notes in PEOPLE:
        context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
        context.set_default_timeout(15_000)
        phone = context.new_page()
        phone.goto("/priorities/join/")
        phone.get_by_label("Code shown on the screen").fill(shown_code.lower())
        phone.get_by_role("button", name="Join the round").click()
        phone.get_by_label("Your name").fill(name)
        if party_short:
            phone.get_by_label("Your party (optional)").select_option(
                label=Party.objects.get(short_name=party_short).name
            )
        phone.get_by_role("button", name="Join the round").click()
        expect(phone.get_by_text(f"You are taking part as {name}")).to_be_visible()
        for text in notes:
            phone.get_by_label("An issue that matters to you").fill(text)
            phone.get_by_role("button", name="Add note").click()
            notes_so_far += 1
            expect(projector.get_by_test_id("note-count")).to_have_text(
                str(notes_so_far), timeout=LIVE
            )
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phones.append(phone)
    expect(projector.get_by_test_id("participant-count")).to_have_text("6")
    assert Note.objects.count() == 12

    # The organiser clusters on the board: drag onto "New cluster" (named in a prompt)...
    board.goto(f"/priorities/{round_.pk}/board/")
    new_zone = board.locator('[data-cluster="new"]')
    for first_note, cluster_name in (
        ("NHS waiting lists", "NHS"),
        ("Affordable housing for young people", "Housing"),
        ("Insulate homes climate", "Climate"),
    ):
        board.once("dialog", lambda dialog, n=cluster_name: dialog.accept(n))
        _note_locator(board, first_note).drag_to(new_zone)
        expect(projector.locator(f'[data-cluster-name="{cluster_name}"]')).to_be_visible(
            timeout=LIVE
        )
        _board_settled(board, round_.pk)

    # ...then drag notes onto clusters,
    for text, cluster_name in (
        ("NHS dentists", "NHS"),
        ("Council housing", "Housing"),
        ("Climate action now", "Climate"),
        ("Housing rents too high", "Housing"),
    ):
        cluster = Cluster.objects.get(name=cluster_name)
        before = cluster.notes.count()
        _drop_recorded(board, text, cluster, before)
        expect(
            projector.locator(f'[data-cluster-name="{cluster_name}"] .pc-figures')
        ).to_contain_text(f"{before + 1} notes", timeout=LIVE)

    # ...take a suggestion made from the wording,
    board.get_by_role("button", name="Suggested: NHS").first.click()
    expect(projector.locator('[data-cluster-name="NHS"] .pc-figures')).to_contain_text(
        "3 notes", timeout=LIVE
    )

    # ...and, as on a phone, use the forms: a "Hospitals" cluster merged into NHS.
    board.get_by_role("textbox", name="New cluster").fill("Hospitals")
    board.get_by_role("button", name="Add cluster").click()
    board.get_by_label("Move note").select_option(label="Hospital waiting times")
    board.get_by_label("to cluster").select_option(label="Hospitals")
    board.get_by_role("button", name="Move", exact=True).click()
    expect(projector.locator('[data-cluster-name="Hospitals"]')).to_be_visible(timeout=LIVE)
    board.get_by_label("Merge", exact=True).select_option(label="Hospitals")
    board.get_by_label("into").select_option(label="NHS")
    board.get_by_role("button", name="Merge (notes and dots move)").click()
    expect(projector.locator('[data-cluster-name="Hospitals"]')).to_have_count(0, timeout=LIVE)
    expect(projector.locator('[data-cluster-name="NHS"] .pc-figures')).to_contain_text(
        "4 notes", timeout=LIVE
    )

    # Everyone votes from their phone; the dots appear on the projector.
    dots = 0
    for index, phone in enumerate(phones):
        choice = ["NHS", "Housing", "Climate"][index % 3]
        phone.reload()
        for spent, target in enumerate((choice, "NHS"), start=1):
            phone.get_by_role("button", name=f"Add a dot to {target}").click()
            dots += 1
            expect(projector.get_by_test_id("dot-count")).to_have_text(str(dots), timeout=LIVE)
            # As a person would, wait for the phone to show the dot before the next tap.
            expect(phone.get_by_text(f"{3 - spent} of 3 dots left.")).to_be_visible()
    expect(phones[0].get_by_text("1 of 3 dots left.")).to_be_visible()
    assert Dot.objects.count() == 12

    # The round closes; the results are public; the statement is published.
    board.goto(round_.get_absolute_url())
    board.get_by_role("button", name="Close the round").click()
    board.get_by_role("heading", name="Results: What should the Alliance fight for?").wait_for()
    expect(board.locator(".results-table tbody tr").first).to_contain_text("NHS")
    # NHS's party breakdown: four notes from four different writers' parties (or none).
    expect(
        board.get_by_role("cell", name="Green 1, LD 1, Lab 1, No party stated 1")
    ).to_be_visible()
    board.get_by_role("link", name="Publish as shared priorities").click()
    board.get_by_label("Title").fill("Sussex shared priorities 2027")
    board.get_by_role("button", name="Publish").click()
    board.get_by_role("heading", name="Sussex shared priorities 2027").wait_for()
    board.get_by_role("button", name="Endorse for Sussex Progressives").click()
    expect(board.get_by_role("link", name="Sussex Progressives").last).to_be_visible()

    lewes_context = browser.new_context(base_url=live_server.url)
    lewes_page = lewes_context.new_page()
    browser_login(lewes_page, lewes_organiser.email)
    lewes_page.goto(board.url)
    lewes_page.get_by_role("button", name="Endorse for Lewes Greens").click()
    endorsers = lewes_page.locator(".endorsers")
    expect(endorsers).to_contain_text("Sussex Progressives")
    expect(endorsers).to_contain_text("Lewes Greens")

    for group in (sussex, lewes):
        lewes_page.goto(group.get_absolute_url())
        expect(lewes_page.get_by_role("link", name="Sussex shared priorities 2027")).to_be_visible()

    for context in [organiser_context, lewes_context] + [p.context for p in phones]:
        context.close()
