"""The warning before a clash: the event form says what the new time and place would clash
with (as the organiser may see it) and offers free slots, live (htmx endpoint) and on submit
without JavaScript; publishing anyway still records the clash for both sides."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clashes import detection, services
from clashes.drafts import Draft, draft_clashing_event_ids
from clashes.models import Clash
from events.models import Event
from tests.clashes.clash_support import BRISTOL, BRISTOL_EAST, at, make_event, two_sides
from tests.factories import ConstituencyFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def scene():
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    rally = make_event(pro_eu, start=at(0, 11), constituency=seat, title="EU flag rally")
    return {
        "branch": branch,
        "pro_eu": pro_eu,
        "branch_org": branch_org,
        "seat": seat,
        "rally": rally,
    }


def local(value):
    return timezone.localtime(value).strftime(FORMAT)


def form_data(scene, *, start=None, **extra):
    start = start or at(0, 10)
    return {
        "title": "Lib Dem street stall",
        "kind": "street_stall",
        "description": "",
        "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=2)),
        "venue_name": "Corn Street",
        "address": "",
        "postcode": "",
        "constituency": scene["seat"].pk,
        "visibility": "public",
        **extra,
    }


def check_url(scene, **params):
    from urllib.parse import urlencode

    base = reverse("events:clash_check", kwargs={"slug": scene["branch"].slug})
    return f"{base}?{urlencode(params)}"


# --- The live check (htmx) ------------------------------------------------------------------


def test_live_check_names_the_other_event_its_group_and_place_and_offers_slots(client, scene):
    client.force_login(scene["branch_org"])
    data = form_data(scene)
    response = client.get(
        check_url(scene, **{k: data[k] for k in ("starts_at", "ends_at", "constituency")})
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This overlaps “EU flag rally”" in html and scene["pro_eu"].name in html
    assert "Bristol West" in html
    assert html.count('class="clash-slot"') == 3


def test_live_check_is_empty_when_nothing_clashes(client, scene):
    client.force_login(scene["branch_org"])
    data = form_data(scene, start=at(3, 10))
    response = client.get(
        check_url(scene, **{k: data[k] for k in ("starts_at", "ends_at", "constituency")})
    )
    assert response.status_code == 200 and "overlaps" not in response.content.decode()


def test_live_check_never_shows_a_members_only_event(client, scene):
    Event.objects.filter(pk=scene["rally"].pk).update(visibility="group", venue_name="Back room")
    client.force_login(scene["branch_org"])
    data = form_data(scene)
    html = client.get(
        check_url(scene, **{k: data[k] for k in ("starts_at", "ends_at", "constituency")})
    ).content.decode()
    assert "an event you cannot see" in html and scene["pro_eu"].name in html
    assert "EU flag rally" not in html and "Back room" not in html


def test_live_check_is_for_the_groups_organisers_only(client, scene):
    url = check_url(scene, starts_at=local(at(0, 10)), ends_at=local(at(0, 12)))
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(UserFactory())
    assert client.get(url).status_code in {403, 404}


# --- On submit, without JavaScript -------------------------------------------------------------


def test_submit_warns_once_then_publishing_anyway_saves_and_records_the_clash(
    client, scene, django_capture_on_commit_callbacks
):
    client.force_login(scene["branch_org"])
    url = reverse("events:create", kwargs={"slug": scene["branch"].slug})
    response = client.post(url, form_data(scene))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This overlaps “EU flag rally”" in html
    assert 'name="publish_anyway"' in html
    assert not Event.objects.filter(title="Lib Dem street stall").exists()
    # The suggested slots reload the form with the organiser's values and the slot's times.
    assert f'href="{url}?title=Lib+Dem+street+stall' in html

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            url, {**form_data(scene), "clash_warned": "True", "publish_anyway": "on"}
        )
    assert response.status_code == 302
    assert callbacks  # the normal check is queued after commit, as for every new event
    stall = Event.objects.get(title="Lib Dem street stall")
    services.event_clashes_check(event_id=stall.pk)  # what the queued task runs
    assert Clash.objects.filter(event_a=scene["rally"], event_b=stall).exists()


def test_submit_without_a_clash_saves_at_once(client, scene):
    client.force_login(scene["branch_org"])
    url = reverse("events:create", kwargs={"slug": scene["branch"].slug})
    response = client.post(url, form_data(scene, start=at(4, 10)))
    assert response.status_code == 302


def test_a_slot_link_fills_the_form(client, scene):
    client.force_login(scene["branch_org"])
    url = reverse("events:create", kwargs={"slug": scene["branch"].slug})
    html = client.get(f"{url}?title=Stall&starts_at=2030-06-05T10:00&ends_at=2030-06-05T12:00")
    html = html.content.decode()
    assert 'value="2030-06-05T10:00"' in html and 'value="Stall"' in html


def test_editing_an_event_never_warns_about_itself(client, scene):
    own = make_event(scene["branch"], start=at(5, 10), constituency=scene["seat"], title="Own")
    client.force_login(scene["branch_org"])
    data = form_data(scene, start=at(5, 10), title="Own (edited)")
    response = client.post(reverse("events:edit", kwargs={"pk": own.pk}), data)
    assert response.status_code == 302


# --- One query path: the draft check finds what detection would ------------------------------


@pytest.mark.parametrize("point", [BRISTOL, BRISTOL_EAST, None])
def test_a_draft_clashes_with_exactly_what_detection_finds_once_saved(scene, point):
    far = make_event(scene["pro_eu"], start=at(0, 10), point=BRISTOL, title="Near rally")
    saved = make_event(scene["branch"], start=at(0, 10), point=point, constituency=None)
    draft = Draft(
        group_id=saved.group_id,
        starts_at=saved.starts_at,
        ends_at=saved.ends_at,
        constituency_id=saved.constituency_id,
        latitude=saved.latitude,
        longitude=saved.longitude,
        event_id=saved.pk,
    )
    expected = {
        b if a == saved.pk else a for a, b in detection.event_clash_candidates(event_id=saved.pk)
    }
    assert set(draft_clashing_event_ids(draft, limit=10)) == expected
    assert (far.pk in expected) == (point is not None)
