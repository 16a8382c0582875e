"""Party staff on a clash page: a note both sides see (escaped), optionally emailed once to the
organisers of both events through the outbox, rate-limited. Nobody else may add one."""

import pytest
from django.core import mail
from django.urls import reverse

from clashes import services
from clashes.models import Clash, ClashNote
from groups.models import PartyStaff
from outbox.models import OutboxEmail
from outbox.services import outbox_deliver
from tests.clashes.clash_support import at, make_event, two_sides
from tests.factories import ConstituencyFactory, MembershipFactory, PartyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    make_event(branch, start=at(0, 10), constituency=seat, title="Lib Dem street stall")
    b = make_event(pro_eu, start=at(0, 11), constituency=seat, title="EU flag rally")
    services.event_clashes_check(event_id=b.pk)
    staff = PartyStaff.objects.create(user=UserFactory(name="Sam Staff"), party=branch.party)
    return {
        "clash": Clash.objects.get(),
        "branch": branch,
        "branch_org": branch_org,
        "pro_eu_org": pro_eu_org,
        "staff": staff.user,
    }


def note_url(scene):
    return reverse("clashes:note", kwargs={"pk": scene["clash"].pk})


def test_staff_note_is_seen_by_both_sides_escaped(client, scene):
    client.force_login(scene["staff"])
    response = client.post(note_url(scene), {"body": "<b>Talk</b> to each other please"})
    assert response.status_code == 302
    for who in ("branch_org", "pro_eu_org"):
        client.force_login(scene[who])
        html = client.get(scene["clash"].get_absolute_url()).content.decode()
        assert "&lt;b&gt;Talk&lt;/b&gt; to each other please" in html and "<b>Talk" not in html
        assert note_url(scene) not in html  # organisers read notes; staff write them
    assert OutboxEmail.objects.count() == 0  # no email unless asked


def test_staff_may_email_both_sides_once_each(client, scene, django_capture_on_commit_callbacks):
    client.force_login(scene["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(note_url(scene), {"body": "Please talk", "email_organisers": "on"})
    outbox_deliver()
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(
        [scene["branch_org"].email, scene["pro_eu_org"].email]
    )
    assert "Please talk" in mail.outbox[0].body
    outbox_deliver()
    assert len(mail.outbox) == 2


def test_emailing_both_sides_is_rate_limited(client, scene):
    client.force_login(scene["staff"])
    for _ in range(5):
        client.post(note_url(scene), {"body": "Again", "email_organisers": "on"})
    response = client.post(note_url(scene), {"body": "Once more", "email_organisers": "on"})
    assert response.status_code == 400 and "try again later" in response.content.decode()
    assert ClashNote.objects.count() == 5
    # A note without email is still possible.
    assert client.post(note_url(scene), {"body": "Just a note"}).status_code == 302


def test_nobody_but_party_staff_involved_may_add_a_note(client, scene):
    other_staff = PartyStaff.objects.create(user=UserFactory(), party=PartyFactory()).user
    member = MembershipFactory(group=scene["branch"]).user
    for user in (UserFactory(), member, scene["branch_org"], scene["pro_eu_org"], other_staff):
        client.force_login(user)
        response = client.post(note_url(scene), {"body": "x", "email_organisers": "on"})
        assert response.status_code == 403
    client.logout()
    assert client.post(note_url(scene), {"body": "x"}).status_code == 302
    assert not ClashNote.objects.exists() and not OutboxEmail.objects.exists()
