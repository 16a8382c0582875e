"""What a brand-new account reaches through a clash with another group's event: an organiser of
a group created a minute ago, on the other side of a clash rule, must neither read the other
group's members-only event on the clash page nor cancel it by merging the clash."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clashes.models import Clash
from clashes.services import event_clashes_check
from events.models import EventStatus, Visibility
from groups.services import group_create
from tests.events.factories import EventFactory
from tests.factories import ConstituencyFactory, PartyBranchFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clash_with_a_closed_meeting():
    seat = ConstituencyFactory()
    start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    branch = PartyBranchFactory(organiser=UserFactory(), is_verified=True)
    closed = EventFactory(
        group=branch,
        visibility=Visibility.GROUP,
        title="Closed strategy meeting",
        constituency=seat,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    newcomer = UserFactory()
    own_group = group_create(
        creator=newcomer,
        name="Fresh Group",
        kind="pro_eu",
        region=branch.region,
        contact_email="fresh@example.org",
    )
    bait = EventFactory(
        group=own_group,
        visibility=Visibility.PUBLIC,
        title="Bait stall",
        constituency=seat,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    event_clashes_check(event_id=bait.pk)
    clash = Clash.objects.get()
    return newcomer, closed, bait, clash


def test_a_fresh_group_cannot_read_a_members_only_event_through_a_clash(
    client, clash_with_a_closed_meeting
):
    newcomer, closed, _bait, clash = clash_with_a_closed_meeting
    client.force_login(newcomer)
    assert client.get(closed.get_absolute_url()).status_code == 404  # visible_to holds
    page = client.get(f"/events/clashes/{clash.pk}/").content.decode()
    assert closed.title not in page


def test_a_fresh_group_cannot_cancel_another_groups_event_by_merging(
    client, clash_with_a_closed_meeting
):
    newcomer, closed, bait, clash = clash_with_a_closed_meeting
    client.force_login(newcomer)
    client.post(f"/events/clashes/{clash.pk}/merge/", {"keep": bait.pk})
    closed.refresh_from_db()
    assert closed.status == EventStatus.SCHEDULED
