"""The one seam between events and clashes (events/apps.py: clashes_api, set by
clashes/apps.py): events calls clash detection only through it."""

import pytest
from django.apps import apps

from clashes import api
from clashes.models import Clash
from events.models import Event
from tests.clashes.clash_support import at, make_event, two_sides

pytestmark = pytest.mark.django_db


def test_the_clashes_app_hands_events_its_api():
    assert apps.get_app_config("events").clashes_api is api


def test_events_works_without_the_seam(monkeypatch, django_capture_on_commit_callbacks):
    branch, pro_eu, organiser, _ = two_sides()
    a = make_event(branch, start=at(0, 10), point=(51.45, -2.58))
    b = make_event(pro_eu, start=at(0, 10), point=(51.45, -2.58))
    Clash.objects.create(event_a=a, event_b=b)
    counted = Event.objects.with_open_clash_count(organiser).get(pk=a.pk)
    assert counted.open_clash_count == 1
    monkeypatch.setattr(apps.get_app_config("events"), "clashes_api", None)
    counted = Event.objects.with_open_clash_count(organiser).get(pk=a.pk)
    assert counted.open_clash_count == 0
    from events.services import clash_check_queue

    with django_capture_on_commit_callbacks() as callbacks:
        clash_check_queue(a.pk)
    assert callbacks == []
