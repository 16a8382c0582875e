"""The results page's "taking part" chart for a known round: the SVG carries the labels and
the figures (people who wrote notes and placed dots, of those who joined)."""

import pytest
from django.test import Client

from priorities import boards, services
from tests.priorities.factories import join

pytestmark = pytest.mark.django_db


def test_taking_part_counts_people_not_notes(meeting):
    round_ = meeting.round
    theme = services.cluster_create(round_=round_, name="Buses")
    ann, bob, cy, _dee = (join(round_, name) for name in ("Ann", "Bob", "Cy", "Dee"))
    for text in ("More buses", "Cheaper buses"):  # two notes, one person
        services.note_add(participant=ann, text=text)
    services.note_add(participant=bob, text="Night buses")
    services.dot_add(participant=ann, cluster=theme)
    services.dot_add(participant=cy, cluster=theme)
    services.dot_add(participant=cy, cluster=theme)

    chart = boards.progress_chart(round_)
    assert [(bar.label, bar.value, bar.text) for bar in chart.bars] == [
        ("Wrote a note", 2, "2 of 4 (50%)"),
        ("Placed dots", 2, "2 of 4 (50%)"),
    ]

    client = Client()
    client.force_login(meeting.organiser)
    page = client.get(f"/priorities/{round_.pk}/results/").content.decode()
    assert "Taking part: of 4 people who joined" in page
    assert "Wrote a note" in page and "Placed dots" in page and "2 of 4 (50%)" in page


def test_an_empty_round_draws_an_empty_chart(meeting):
    chart = boards.progress_chart(meeting.round)
    assert [bar.text for bar in chart.bars] == ["0", "0"]  # no share of nobody
