"""A Lib Dem staffer asks a conversation to rank three options; the pro-EU group's organiser
and member rank them too (the member on a 390 px phone, first using one rank twice); the
deadline passes and beat's closing service closes the poll; everyone sees the result round by
round, the staffer records the outcome and each of the three is emailed it once; a closed poll
takes no more rankings. Headless Chromium."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conversations import services
from conversations.models import Proposal
from outbox.services import outbox_deliver
from tests.conftest import browser_login
from tests.factories import (
    GroupFactory,
    MembershipFactory,
    PartyFactory,
    PartyStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

OPTIONS = ["Leaflets", "Canvassing", "Phone bank"]


@pytest.fixture
def people(transactional_db):
    libdems = PartyFactory(name="Liberal Democrats", short_name="LD", slug="libdems")
    staffer = PartyStaffFactory(party=libdems, user=UserFactory(name="Lib Dem Staffer")).user
    organiser = UserFactory(name="Paula Pro-EU")
    group = GroupFactory(name="Marginalton for Europe", organiser=organiser)
    member = UserFactory(name="Milo Member")
    MembershipFactory(user=member, group=group)
    conversation = services.conversation_open(
        author=staffer,
        title="Marginalton: what first",
        scope_kind="groups",
        groups=[group],
        body="We have one Saturday: what shall we do first?",
    )
    services.conversation_invite(
        conversation=conversation, inviter=staffer, groups=[group], include_members=True
    )
    return staffer, organiser, member, conversation


def _rank(page, ranking: list[str]) -> None:
    for rank, label in enumerate(ranking, start=1):
        page.get_by_label(label).select_option(str(rank))
    page.get_by_role("button", name="Save my ranking").click()


def test_three_participants_rank_and_see_the_count_round_by_round(
    _playwright_browser, live_server, people
):
    staffer_user, organiser_user, member_user, conversation = people

    def new_page(user, **options):
        context = _playwright_browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        page = context.new_page()
        browser_login(page, user.email)
        return page

    staffer = new_page(staffer_user)
    staffer.goto(conversation.get_absolute_url())
    staffer.get_by_role("link", name="Rank options (a ranked-choice poll)").click()
    staffer.get_by_role("heading", name="Put a ranked-choice poll").wait_for()
    staffer.get_by_label("What is the question?").fill("What do we do first?")
    deadline = timezone.localtime(timezone.now() + timedelta(days=2))
    staffer.get_by_label("Deadline").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    for n, option in enumerate(OPTIONS, start=1):
        staffer.get_by_label(f"Option {n}", exact=False).first.fill(option)
    staffer.get_by_role("button", name="Put the poll").click()
    staffer.get_by_role("heading", name="What do we do first?").wait_for()
    poll_url = staffer.url
    _rank(staffer, ["Leaflets", "Phone bank", "Canvassing"])
    staffer.get_by_text("Your answers are saved").wait_for()

    organiser = new_page(organiser_user)
    organiser.goto(poll_url)
    _rank(organiser, ["Canvassing", "Phone bank", "Leaflets"])
    organiser.get_by_text("Your answers are saved").wait_for()

    member = new_page(member_user, viewport={"width": 390, "height": 844})
    member.goto(poll_url)
    member.get_by_label("Phone bank").select_option("1")
    member.get_by_label("Canvassing").select_option("1")
    member.get_by_label("Leaflets").select_option("3")
    member.get_by_role("button", name="Save my ranking").click()
    member.get_by_text("Use each rank once").first.wait_for()
    _rank(member, ["Phone bank", "Canvassing", "Leaflets"])
    member.get_by_text("Your answers are saved").wait_for()
    assert member.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The deadline passes; beat's closing service closes the poll (the task calls it).
    poll = Proposal.objects.get(kind="ranked")
    Proposal.objects.filter(pk=poll.pk).update(deadline=timezone.now())
    assert services.proposals_close_due() == [poll.pk]

    staffer.goto(poll_url)
    result = staffer.get_by_role("region", name="Result")
    text = " ".join(result.text_content().split())
    assert "Winner: Canvassing, after 2 rounds (3 rankings)." in text
    assert "Round 1: Leaflets 1; Canvassing 1; Phone bank 1." in text
    assert "Phone bank is eliminated (a tie" in text and "its votes go to Canvassing +1" in text
    assert "Round 2: Canvassing 2 (+1); Leaflets 1." in text
    first = staffer.get_by_role("table")
    assert [" ".join(row.split()) for row in first.locator("tbody tr").all_inner_texts()] == [
        "Leaflets 1",
        "Canvassing 1",
        "Phone bank 1",
    ]
    staffer.get_by_role("textbox", name="Outcome").fill("Canvassing first, then phones.")
    staffer.get_by_role("button", name="Record and email everyone").click()
    staffer.get_by_role("heading", name="Outcome", exact=True).wait_for()

    outbox_deliver()
    outcome_emails = sorted(
        m.to[0] for m in mail.outbox if m.subject.startswith("[Alliance] Outcome")
    )
    assert outcome_emails == sorted(u.email for u in (staffer_user, organiser_user, member_user))

    member.reload()
    assert "Canvassing first, then phones." in member.content()
    assert "This poll is closed: rankings can no longer change." in member.content()
    assert member.get_by_role("button", name="Save my ranking").count() == 0
