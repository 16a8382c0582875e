import pytest

from events import demo
from events.models import Event

pytestmark = pytest.mark.django_db


def test_demo_events_include_a_weekly_stall_and_a_clash():
    from groups import demo as groups_demo

    groups_demo.load()
    created = demo.load()
    assert created > 20
    stall = Event.objects.filter(title="Weekly street stall")
    assert stall.count() >= 15 and stall.values("series").distinct().count() == 1
    canvass = Event.objects.get(title="Doorstep canvassing session")
    rally = Event.objects.get(title="Rally for Europe")
    assert canvass.constituency == rally.constituency is not None
    assert canvass.group.kind == "party_branch" and rally.group.kind == "pro_eu"
    assert canvass.starts_at < rally.ends_at and rally.starts_at < canvass.ends_at
    assert Event.objects.overlapping(canvass.starts_at, canvass.ends_at).filter(pk=rally.pk)
    assert demo.load() == 0  # once only
