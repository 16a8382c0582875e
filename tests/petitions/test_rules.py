"""Pure rules: email normalisation, the goal ladder, body formatting, the chart."""

import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from petitions.charts import cumulative_chart
from petitions.emails import email_is_disposable, email_normalise
from petitions.formatting import body_html
from petitions.milestones import goals_reached, next_goal


@pytest.mark.parametrize(
    "variant",
    [
        "jo.bloggs@gmail.com",
        "Jo.Bloggs@Gmail.com",
        "jobloggs@gmail.com",
        "j.o.b.l.o.g.g.s@gmail.com",
        "jo.bloggs+petitions@gmail.com",
        "JoBloggs+x+y@googlemail.com",
    ],
)
def test_gmail_variants_normalise_to_one_mailbox(variant):
    assert email_normalise(variant) == "jobloggs@gmail.com"


def test_plus_tags_are_dropped_for_every_domain_and_dots_only_for_gmail():
    assert email_normalise("Ann+news@Outlook.com") == "ann@outlook.com"
    assert email_normalise("ann.lee@outlook.com") == "ann.lee@outlook.com"  # dots matter there
    # One mailbox on a custom domain is one person, whatever "+tag" it signs with.
    assert email_normalise("ann+1@example.org") == "ann@example.org"
    assert email_normalise("Ann+2+x@Example.ORG") == "ann@example.org"
    assert email_normalise("ann.lee+1@example.org") == "ann.lee@example.org"
    # A local part that starts with "+" is a name, not a tag.
    assert email_normalise("+44@example.org") == "+44@example.org"


def test_disposable_domains_and_their_subdomains_are_refused():
    assert email_is_disposable("x@mailinator.com")
    assert email_is_disposable("x@eu.mailinator.com")
    assert not email_is_disposable("x@example.org")
    assert not email_is_disposable("x@notmailinator.com")


@pytest.mark.parametrize(
    ("count", "goal"),
    [(0, 100), (99, 100), (100, 250), (249, 250), (250, 500), (500, 1000), (1000, 2500),
     (2500, 5000), (5000, 10_000), (10_000, 25_000), (25_000, 50_000), (99_999, 100_000)],
)  # fmt: skip
def test_next_goal_ladder(count, goal):
    assert next_goal(count) == goal


def test_goals_reached():
    assert goals_reached(0) == []
    assert goals_reached(1000) == [100, 250, 500, 1000]


def test_body_is_escaped_and_lightly_formatted():
    html = body_html("<script>alert(1)</script> **bold**\n\n- a\n- b <img src=x onerror=y>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert "<strong>bold</strong>" in html
    assert "<ul><li>a</li><li>b &lt;img" in html


def test_links_are_clickable_and_nofollow():
    html = body_html("See https://example.org/x?a=1&b=2")
    assert 'href="https://example.org/x?a=1&amp;b=2"' in html
    assert 'rel="nofollow"' in html


def test_chart_running_total():
    chart = cumulative_chart([(date(2026, 1, 1), 3), (date(2026, 1, 2), 2)])
    assert chart.max_count == 5
    left, top, right, bottom = chart.plot
    assert chart.points.split()[0] == f"{left},{bottom}"  # starts from zero
    assert chart.points.split()[-1] == f"{right}.0,{top}.0"  # 5 is the axis's top, at the end
    assert [tick.label for tick in chart.y_ticks] == ["0", "2", "5"]
    assert [tick.label for tick in chart.x_ticks] == ["1 Jan", "2 Jan"]
    assert cumulative_chart([]).points == ""
    assert [tick.label for tick in cumulative_chart([(date(2026, 1, 1), 1)]).y_ticks] == ["0", "1"]


def test_chart_axis_tops_are_round_numbers():
    chart = cumulative_chart([(date(2026, 1, day), 1234) for day in range(1, 8)])
    assert chart.max_count == 8638
    assert [tick.label for tick in chart.y_ticks] == ["0", "5,000", "10,000"]
    assert [tick.label for tick in chart.x_ticks] == ["1 Jan", "4 Jan", "7 Jan"]


local_parts = st.text(
    alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=20
)
domains = st.sampled_from(["gmail.com", "GoogleMail.com", "outlook.com", "example.org", "Me.com"])


@given(local=local_parts, domain=domains)
def test_normalising_is_idempotent_and_ignores_case(local, domain):
    email = f"{local}@{domain}"
    once = email_normalise(email)
    assert email_normalise(once) == once
    assert email_normalise(email.upper()) == once
    assert once == once.lower()


@given(count=st.integers(min_value=0, max_value=10**9))
def test_next_goal_is_always_above_and_on_the_ladder(count):
    goal = next_goal(count)
    assert goal > count
    assert goal in goals_reached(goal)
    assert all(g <= count for g in goals_reached(count))
