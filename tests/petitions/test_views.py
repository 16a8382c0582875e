import csv
import io

import pytest
from django.core import mail
from django.urls import reverse

from petitions.models import PetitionStatus, PetitionTally, Signature, SignatureStatus
from petitions.services.counting import petition_count
from petitions.services.petitions import petition_close
from tests.factories import GroupFactory, UserFactory
from tests.petitions.conftest import image_bytes, link_from
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

FORM = {"name": "Jo Bloggs", "email": "jo@example.org", "postcode": "SW1A 1AA", "town": "Bath"}


def post_sign(client, petition, **changes):
    return client.post(reverse("petitions:sign", args=[petition.slug]), {**FORM, **changes})


def test_sign_confirm_flow_get_does_not_confirm(
    client, petition, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_sign(client, petition, show_publicly="on")
    assert response.status_code == 302
    assert "state=check-email" in response["Location"]
    assert "check your email" in client.get(response["Location"]).content.decode()
    confirm = link_from(mail.outbox[0], "confirm")
    # A mail scanner opens the link: nothing changes.
    page = client.get(confirm)
    assert page.status_code == 200 and "Confirm my signature" in page.content.decode()
    assert Signature.objects.get().status == SignatureStatus.PENDING
    client.head(confirm)
    assert Signature.objects.get().status == SignatureStatus.PENDING
    # Only the POST confirms; twice is harmless.
    assert "is confirmed" in client.post(confirm).content.decode()
    assert "is confirmed" in client.post(confirm).content.decode()
    assert Signature.objects.get().status == SignatureStatus.CONFIRMED
    petition_count(petition_id=petition.pk)
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "<strong>1</strong> person has signed." in page
    assert "Jo, Bath" in page  # agreed to be shown: first name and town only
    assert "Bloggs" not in page


def test_removal_link_lowers_count(
    client, petition, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, petition)
    client.post(link_from(mail.outbox[0], "confirm"))
    petition_count(petition_id=petition.pk)
    assert PetitionTally.objects.get(petition=petition).confirmed_count == 1
    remove = link_from(mail.outbox[0], "remove")
    client.get(remove)
    assert Signature.objects.get().status == SignatureStatus.CONFIRMED
    assert "has been removed" in client.post(remove).content.decode()
    petition_count(petition_id=petition.pk)
    assert PetitionTally.objects.get(petition=petition).confirmed_count == 0


def test_zero_signatures_shows_first_goal(client, petition):
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "<strong>0</strong> people have signed." in page
    assert "Let’s get to 100!" in page
    assert '<progress value="0" max="100"' in page
    assert 'property="og:title"' in page


def test_500_char_name_gets_clear_error_and_keeps_input(client, petition):
    response = post_sign(client, petition, name="A" * 500)
    assert response.status_code == 400
    body = response.content.decode()
    assert "at most 100 characters" in body
    assert 'value="jo@example.org"' in body  # nothing the person typed is lost
    assert not Signature.objects.exists()


def test_non_uk_postcode_gets_clear_error(client, petition):
    response = post_sign(client, petition, postcode="75008 Paris")
    assert response.status_code == 400
    assert "Enter a UK postcode" in response.content.decode()
    assert not Signature.objects.exists()


def test_control_characters_in_name_refused(client, petition):
    response = post_sign(client, petition, name="Jo\r\nBcc: x@example.org")
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_html_name_is_stored_as_text_and_escaped_everywhere(
    client, petition, organiser, eager_tasks, django_capture_on_commit_callbacks
):
    evil = '<script>alert("x")</script>'
    with django_capture_on_commit_callbacks(execute=True):
        post_sign(
            client,
            petition,
            name=f"{evil} Smith",
            town=evil,
            show_publicly="on",
            consent_to_contact="on",
        )
    signature = Signature.objects.get()
    assert signature.name.startswith("<script>")
    assert "<script>alert" not in mail.outbox[0].alternatives[0][0]
    client.post(link_from(mail.outbox[0], "confirm"))
    for path in [link_from(mail.outbox[0], "confirm"), link_from(mail.outbox[0], "remove")]:
        assert "<script>alert" not in client.get(path).content.decode()
    petition_count(petition_id=petition.pk)
    assert "<script>alert" not in client.get(petition.get_absolute_url()).content.decode()
    assert "&lt;script&gt;" in client.get(petition.get_absolute_url()).content.decode()
    client.force_login(organiser)
    for name in ["petitions:dashboard", "petitions:export_signers"]:
        content = client.get(reverse(name, args=[petition.slug])).content.decode()
        assert "<script>alert" not in content or name == "petitions:export_signers"
    assert "<script>alert" not in client.get(reverse("petitions:list")).content.decode()


def test_honeypot_pretends_success_and_stores_nothing(client, petition):
    response = post_sign(client, petition, website="http://spam.example")
    assert response.status_code == 302
    assert not Signature.objects.exists()


def test_disposable_email_refused_with_message(client, petition):
    response = post_sign(client, petition, email="x@mailinator.com")
    assert response.status_code == 400
    assert "permanent email address" in response.content.decode()


def test_rate_limit_per_ip_is_a_429_with_the_form_and_a_message(client, petition, settings):
    settings.PETITIONS_SIGN_LIMIT_PER_IP = 2
    post_sign(client, petition, email="a@example.org")
    post_sign(client, petition, email="b@example.org")
    response = post_sign(client, petition, email="c@example.org", name="Carol Third")
    assert response.status_code == 429
    body = response.content.decode()
    assert "paused signing" in body and 'value="Carol Third"' in body
    assert Signature.objects.count() == 2


def test_rate_limit_per_domain_but_not_for_big_providers(client, petition, settings):
    settings.PETITIONS_SIGN_LIMIT_PER_DOMAIN = 1
    post_sign(client, petition, email="a@smallorg.test")
    assert post_sign(client, petition, email="b@smallorg.test").status_code == 429
    assert post_sign(client, petition, email="c@gmail.com").status_code == 302
    assert post_sign(client, petition, email="d@gmail.com").status_code == 302


def test_signed_in_verified_user_signs_in_one_click(client, petition, user):
    client.force_login(user)
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Sign in one click" in page
    response = client.post(reverse("petitions:sign", args=[petition.slug]), {"postcode": "BS1 4DJ"})
    assert "state=confirmed" in response["Location"]
    signature = Signature.objects.get()
    assert signature.status == SignatureStatus.CONFIRMED and signature.email == user.email
    assert not mail.outbox


def test_unverified_user_gets_the_normal_form(client, petition):
    unverified = UserFactory(verified=False)
    client.force_login(unverified)
    assert "Sign in one click" not in client.get(petition.get_absolute_url()).content.decode()


def test_unknown_token_is_404_not_500(client):
    assert client.get(reverse("petitions:confirm", args=["nope"])).status_code == 404
    assert client.post(reverse("petitions:remove", args=["nope"])).status_code == 404


def test_unsubscribe_link(client, petition):
    signature = SignatureFactory(petition=petition, confirmed=True, consent_to_contact=True)
    url = reverse("petitions:unsubscribe", args=[signature.token])
    client.get(url)
    signature.refresh_from_db()
    assert signature.unsubscribed_at is None
    client.post(url)
    signature.refresh_from_db()
    assert signature.unsubscribed_at is not None


def test_json_endpoint(client, petition, constituencies):
    SignatureFactory.create_batch(
        2, petition=petition, confirmed=True, constituency=constituencies[0]
    )
    SignatureFactory(petition=petition, confirmed=True)
    petition_count(petition_id=petition.pk)
    data = client.get(reverse("petitions:json", args=[petition.slug])).json()
    attributes = data["data"]["attributes"]
    assert attributes["signature_count"] == 3
    assert attributes["next_goal"] == 100
    assert attributes["milestones"] == []
    assert attributes["signatures_by_constituency"] == [
        {"name": "Seat 0", "ons_code": constituencies[0].ons_code, "signature_count": 2}
    ]


def test_drafts_are_hidden_from_the_public(client, group, organiser):
    draft = PetitionFactory(group=group, status=PetitionStatus.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("petitions:json", args=[draft.slug])).status_code == 404
    assert client.post(reverse("petitions:sign", args=[draft.slug]), FORM).status_code == 404
    client.force_login(organiser)
    assert client.get(draft.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("rows", [10, 1000])
def test_list_page_query_count_does_not_grow(client, django_assert_num_queries, rows):
    group = GroupFactory()
    petitions = PetitionFactory.create_batch(rows if rows < 30 else 30, group=group)
    SignatureFactory.create_batch(rows, petition=petitions[0], confirmed=True)
    petition_count(petition_id=petitions[0].pk)
    with django_assert_num_queries(2):  # count + page (group and tally joined)
        assert client.get(reverse("petitions:list")).status_code == 200


@pytest.mark.parametrize("rows", [10, 1000])
def test_detail_page_query_count_does_not_grow(
    client, petition, constituencies, django_assert_num_queries, rows
):
    SignatureFactory.create_batch(
        rows,
        petition=petition,
        confirmed=True,
        show_publicly=True,
        constituency=constituencies[rows % 3],
    )
    petition_count(petition_id=petition.pk)
    client.get(petition.get_absolute_url())  # the hex map's seats are cached from then on
    with django_assert_num_queries(4):  # petition+tally, constituency tallies, signers, milestones
        assert client.get(petition.get_absolute_url()).status_code == 200


# --- Organiser tools: the "no" first ---------------------------------------------------

ORGANISER_GETS = [
    "petitions:dashboard",
    "petitions:export_signers",
    "petitions:export_counts",
    "petitions:edit",
]
ORGANISER_POSTS = [
    "petitions:submit",
    "petitions:send_update",
    "petitions:close",
    "petitions:deliver",
]


@pytest.mark.parametrize("name", ORGANISER_GETS + ORGANISER_POSTS)
def test_anonymous_is_sent_to_login(client, petition, name):
    response = (client.post if name in ORGANISER_POSTS else client.get)(
        reverse(name, args=[petition.slug])
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ORGANISER_GETS + ORGANISER_POSTS)
def test_outsider_and_plain_member_are_refused(client, petition, name):
    from groups.models import Membership

    member = UserFactory()
    Membership.objects.create(user=member, group=petition.group)
    for person in [UserFactory(), member, UserFactory(is_staff=True)]:
        client.force_login(person)
        response = (client.post if name in ORGANISER_POSTS else client.get)(
            reverse(name, args=[petition.slug]), {"subject": "x", "body": "y"}
        )
        assert response.status_code == 403
    assert PetitionTally.objects.count() == 0
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.OPEN


def test_outsider_cannot_create_a_petition_for_a_group(client, group):
    client.force_login(UserFactory())
    assert client.get(reverse("petitions:create", args=[group.slug])).status_code == 403


def test_organiser_exports_only_consenting_signers(client, petition, organiser, constituencies):
    SignatureFactory(
        petition=petition,
        confirmed=True,
        consent_to_contact=True,
        name="=HYPERLINK()",
        email="yes@example.org",
        constituency=constituencies[0],
    )
    SignatureFactory(
        petition=petition, confirmed=True, consent_to_contact=False, email="no@example.org"
    )
    SignatureFactory(petition=petition, consent_to_contact=True, email="pending@example.org")
    client.force_login(organiser)
    response = client.get(reverse("petitions:export_signers", args=[petition.slug]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["name", "email", "postcode", "constituency", "confirmed_at"]
    assert [row[1] for row in rows[1:]] == ["yes@example.org"]
    assert rows[1][0] == "'=HYPERLINK()"  # no formula injection
    assert rows[1][3] == "Seat 0"
    petition_count(petition_id=petition.pk)
    counts = client.get(reverse("petitions:export_counts", args=[petition.slug])).content.decode()
    assert "Seat 0,1" in counts and "Unknown constituency,1" in counts
    assert "example.org" not in counts


def test_organiser_creates_submits_closes_and_delivers(client, organiser, group):
    client.force_login(organiser)
    response = client.post(
        reverse("petitions:create", args=[group.slug]),
        {"title": "Save the ferry", "target": "the council", "body": "Please."},
    )
    assert response.status_code == 302
    petition = group.petitions.get()
    assert petition.status == PetitionStatus.DRAFT
    dashboard = client.get(reverse("petitions:dashboard", args=[petition.slug]))
    assert dashboard.status_code == 200
    client.post(reverse("petitions:submit", args=[petition.slug]))
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.PENDING  # group not verified
    petition.status = PetitionStatus.OPEN
    petition.save()
    client.post(reverse("petitions:close", args=[petition.slug]))
    client.post(
        reverse("petitions:deliver", args=[petition.slug]),
        {"delivered_on": "2020-01-02", "note": "Handed to the clerk"},
    )
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.CLOSED and str(petition.delivered_at) == "2020-01-02"
    assert (
        "Delivered to the council on 2 January 2020"
        in client.get(petition.get_absolute_url()).content.decode()
    )


def test_image_upload_checks_type_and_size(client, organiser, group, tmp_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(organiser)
    fake = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(
        reverse("petitions:create", args=[group.slug]),
        {"title": "T", "target": "X", "body": "B", "image": fake},
    )
    assert response.status_code == 200
    assert "Upload a PNG, JPEG, GIF or WebP image" in response.content.decode()
    # Magic bytes alone are not an image: it must decode.
    magic = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    response = client.post(
        reverse("petitions:create", args=[group.slug]),
        {"title": "T", "target": "X", "body": "B", "image": magic},
    )
    assert "Upload a PNG, JPEG, GIF or WebP image" in response.content.decode()
    png = SimpleUploadedFile("x.png", image_bytes("PNG"), content_type="image/png")
    response = client.post(
        reverse("petitions:create", args=[group.slug]),
        {"title": "T", "target": "X", "body": "B", "image": png},
    )
    assert response.status_code == 302
    assert group.petitions.get().image.name.endswith(".png")


def test_update_form_queues_batched_send(
    client, petition, organiser, eager_tasks, django_capture_on_commit_callbacks
):
    SignatureFactory.create_batch(3, petition=petition, confirmed=True, consent_to_contact=True)
    client.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("petitions:send_update", args=[petition.slug]),
            {"subject": "We delivered it", "body": "Thanks all"},
        )
    assert len(mail.outbox) == 3


# --- Site staff ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["petitions:staff_moderation", "petitions:staff_invalidate"])
def test_staff_pages_refuse_everyone_else(client, organiser, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(organiser)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"domain": "x.test", "confirm": "yes"}).status_code == 403


def test_staff_moderates_and_invalidates(client, group):
    staff = UserFactory(is_staff=True)
    pending = PetitionFactory(group=group, status=PetitionStatus.PENDING)
    open_petition = PetitionFactory(group=group)
    SignatureFactory.create_batch(
        3, petition=open_petition, confirmed=True, email_domain="bots.test"
    )
    SignatureFactory(petition=open_petition, confirmed=True)
    petition_count(petition_id=open_petition.pk)
    client.force_login(staff)
    assert pending.title in client.get(reverse("petitions:staff_moderation")).content.decode()
    client.post(
        reverse("petitions:staff_moderation"),
        {"petition": pending.pk, "decision": "reject", "reason": ""},
    )
    pending.refresh_from_db()
    assert pending.status == PetitionStatus.PENDING  # a reason is required
    client.post(
        reverse("petitions:staff_moderation"), {"petition": pending.pk, "decision": "approve"}
    )
    pending.refresh_from_db()
    assert pending.status == PetitionStatus.OPEN
    preview = client.post(reverse("petitions:staff_invalidate"), {"domain": "bots.test"})
    assert "<strong>3</strong> signatures match" in preview.content.decode()
    assert PetitionTally.objects.get(petition=open_petition).confirmed_count == 4
    bad = client.post(reverse("petitions:staff_invalidate"), {"ip_network": "not-an-ip"})
    assert bad.status_code == 200 and "Enter an IP address or range" in bad.content.decode()
    client.post(reverse("petitions:staff_invalidate"), {"domain": "bots.test", "confirm": "yes"})
    assert PetitionTally.objects.get(petition=open_petition).confirmed_count == 1


def test_closed_petition_takes_no_more_confirmations(client, petition):
    signature = SignatureFactory(petition=petition)
    petition_close(petition=petition)
    url = reverse("petitions:confirm", args=[signature.token])
    assert "This petition has closed" in client.get(url).content.decode()
    client.post(url)
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING
    post = post_sign(client, petition, email="late@example.org")
    assert post.status_code == 400 and "not taking signatures" in post.content.decode()


def test_organiser_finds_start_links_and_drafts_on_the_list(client, organiser, group):
    draft = PetitionFactory(group=group, status=PetitionStatus.DRAFT, title="My secret draft")
    assert "My secret draft" not in client.get(reverse("petitions:list")).content.decode()
    client.force_login(UserFactory())
    assert "Start a petition" not in client.get(reverse("petitions:list")).content.decode()
    client.force_login(organiser)
    page = client.get(reverse("petitions:list")).content.decode()
    assert reverse("petitions:create", args=[group.slug]) in page
    assert reverse("petitions:dashboard", args=[draft.slug]) in page
