"""The petition findings of the security review, one regression test (or more) per finding:
each fails on the code before the fix."""

import importlib
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
from petitions.services.petitions import petition_moderate, petition_submit, petition_update
from petitions.services.signing import CONFIRMATIONS, signature_confirmations_send, signature_create
from tests.factories import GroupFactory, UserFactory
from tests.petitions.conftest import image_bytes, link_from
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

FORM = {"name": "Jo Bloggs", "email": "jo@example.org", "postcode": "SW1A 1AA", "town": "Bath"}


@pytest.fixture
def send(eager_tasks, django_capture_on_commit_callbacks):
    """Sign through the page and run what is queued after commit (the confirmation sender)."""

    def post(client, petition, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("petitions:sign", args=[petition.slug]), {**FORM, **changes})

    return post


# --- 1. Tokens and confirmation --------------------------------------------------------------


def test_after_re_signing_the_first_emails_link_no_longer_confirms(client, petition, send):
    send(client, petition, name="Jo Bloggs", postcode="SW1A 1AA")
    first = mail.outbox[-1]
    client.post(link_from(first, "remove"))
    assert Signature.objects.get().status == SignatureStatus.REMOVED
    send(client, petition, name="Joanna Bloggs", postcode="BA1 1AA")
    second = mail.outbox[-1]
    assert second is not first

    assert client.post(link_from(first, "confirm")).status_code == 404
    assert Signature.objects.get().status == SignatureStatus.PENDING
    client.post(link_from(second, "confirm"))
    signature = Signature.objects.get()
    assert signature.status == SignatureStatus.CONFIRMED
    assert (signature.name, signature.postcode) == ("Joanna Bloggs", "BA1 1AA")


def test_a_second_unconfirmed_attempt_replaces_the_first_and_its_link(client, petition, send):
    send(client, petition, name="Mallory Forger", postcode="SW1A 1AA")
    send(client, petition, name="Jo Bloggs", postcode="BA1 1AA")
    first, second = mail.outbox
    assert "Mallory Forger" in first.body and "Jo Bloggs" in second.body  # says what it confirms
    client.post(link_from(first, "confirm"))
    assert Signature.objects.get().status == SignatureStatus.PENDING
    client.post(link_from(second, "confirm"))
    signature = Signature.objects.get()
    assert signature.status == SignatureStatus.CONFIRMED
    assert (signature.name, signature.postcode) == ("Jo Bloggs", "BA1 1AA")


def test_one_click_sign_over_a_forged_pending_row_keeps_none_of_the_forgers_details(
    client, petition, send
):
    victim = UserFactory(name="Vera Victim")
    anonymous = client.__class__()
    send(anonymous, petition, name="Mallory Forger", email=victim.email.upper(), town="Evil")
    forged_token = Signature.objects.get().token
    client.force_login(victim)
    response = send(client, petition, postcode="BA1 1AA", town="")
    assert "state=confirmed" in response["Location"]
    signature = Signature.objects.get()
    assert signature.status == SignatureStatus.CONFIRMED
    assert signature.user == victim
    assert (signature.name, signature.postcode, signature.town) == ("Vera Victim", "BA1 1AA", "")
    assert signature.email == victim.email
    assert signature.token != forged_token


def test_the_sender_does_not_count_an_email_with_an_old_token_as_the_new_ones(petition):
    """A sender mid-batch when a new attempt rotates the token: the new token still goes out."""
    outcome = signature_create(
        petition=petition, name="Jo", email="jo@example.org", postcode="SW1A 1AA"
    )
    old = Signature.objects.select_related("petition", "petition__group").get()
    again = signature_create(
        petition=petition, name="Jo B", email="jo@example.org", postcode="SW1A 1AA"
    )
    assert again.confirmation_resent and again.signature.token != outcome.signature.token
    # What the in-flight sender does after mailing the old token: mark it sent, if still owed.
    owed = CONFIRMATIONS.still_owed(old)
    assert not Signature.objects.filter(owed, pk=old.pk).update(**CONFIRMATIONS.mark_sent())
    assert signature_confirmations_send() == 1
    assert again.signature.token in mail.outbox[-1].body
    assert signature_confirmations_send() == 0


# --- 2. "You have already signed" ------------------------------------------------------------


def _without_csrf(response) -> str:
    """The page, less the CSRF token (masked afresh in every response)."""
    return re.sub(
        r'(X-CSRFToken": "|csrfmiddlewaretoken" value=")[^"]+', "", response.content.decode()
    )


def test_signing_again_looks_like_a_first_signature_and_the_email_says_it(client, petition, send):
    SignatureFactory(petition=petition, email="jo@example.org", confirmed=True)
    again = send(client, petition, email="Jo@Example.org")
    fresh = send(client, petition, email="someone.else@example.org")
    assert again.status_code == fresh.status_code == 302
    assert again["Location"] == fresh["Location"]
    assert _without_csrf(client.get(again["Location"])) == _without_csrf(
        client.get(fresh["Location"])
    )
    to_jo = [m for m in mail.outbox if m.to == ["jo@example.org"]]  # the address that signed
    assert len(to_jo) == 1
    assert to_jo[0].subject.startswith("[Alliance] You had already signed")
    assert "had already signed" in to_jo[0].body and "/confirm/" not in to_jo[0].body
    assert Signature.objects.filter(petition=petition).count() == 2


def test_already_signed_email_is_sent_once_per_attempt_within_the_rate_limit(
    client, petition, send
):
    signature = SignatureFactory(petition=petition, email="jo@example.org", confirmed=True)
    token = signature.token
    for _ in range(3):
        send(client, petition)
    assert len(mail.outbox) == 1  # one per PETITIONS_RESEND_SECONDS
    assert signature_confirmations_send() == 0  # a second sweep sends nothing
    signature.refresh_from_db()
    assert signature.token == token  # the signer's links keep working
    assert signature.notice_due_at is None


# --- 3. Plus-addressing ----------------------------------------------------------------------


def test_one_custom_domain_mailbox_signs_once_whatever_its_plus_tag(client, petition, send):
    for tag in ("a", "b", "c"):
        send(client, petition, email=f"jo+{tag}@example.org")
    assert Signature.objects.filter(petition=petition).count() == 1
    assert Signature.objects.get().email_normalised == "jo@example.org"


def test_the_privacy_notice_states_the_rule_the_code_applies(client):
    from petitions.emails import email_normalise

    notice = client.get("/privacy/").content.decode()
    assert "<em>jo+petition@example.org</em> is <em>jo@example.org</em>" in notice
    assert email_normalise("jo+petition@example.org") == "jo@example.org"
    assert email_normalise("Jo.Bloggs@gmail.com") == "jobloggs@gmail.com"


def renormalise(signature_model):
    module = importlib.import_module("petitions.migrations.0006_signature_email_renormalise")
    return module.signatures_renormalise(signature_model)


def test_renormalising_keeps_the_earliest_confirmed_row_of_each_person(petition):
    now = timezone.now()
    other = PetitionFactory()

    def row(email, on=petition, **fields):
        # As the old rule stored it: "+tags" kept on custom domains.
        fields.setdefault("email_normalised", email)
        return SignatureFactory(petition=on, email=email, **fields)

    early_pending = row("jo+1@example.org", created_at=now - timedelta(days=3))
    late_confirmed = row(
        "jo+2@example.org", status=SignatureStatus.CONFIRMED, confirmed_at=now - timedelta(days=1)
    )
    early_confirmed = row(
        "jo@example.org", status=SignatureStatus.CONFIRMED, confirmed_at=now - timedelta(days=2)
    )
    # Nobody confirmed: the earliest created stays.
    first = row("al+x@example.org", created_at=now - timedelta(days=2))
    second = row("al+y@example.org", created_at=now - timedelta(days=1))
    elsewhere = row("jo+9@example.org", on=other)
    anonymised = row("", email_normalised=f"deleted-{petition.pk}", email_domain="")

    assert renormalise(Signature) == (3, 3)

    kept = set(Signature.objects.values_list("pk", "email_normalised"))
    assert kept == {
        (early_confirmed.pk, "jo@example.org"),
        (first.pk, "al@example.org"),
        (elsewhere.pk, "jo@example.org"),
        (anonymised.pk, f"deleted-{petition.pk}"),
    }
    assert not Signature.objects.filter(pk__in=[early_pending.pk, late_confirmed.pk, second.pk])
    assert renormalise(Signature) == (0, 0)  # a second run changes nothing


# --- 4. Uploads ------------------------------------------------------------------------------


def _create(client, group, upload, title="Upload"):
    return client.post(
        reverse("petitions:create", args=[group.slug]),
        {"title": title, "target": "X", "body": "B", "image": upload},
    )


def test_html_with_gif_magic_is_refused(client, organiser, group, tmp_media):
    client.force_login(organiser)
    evil = SimpleUploadedFile(
        "evil.html", b"GIF89a<html><script>alert(document.cookie)</script>", "image/gif"
    )
    response = _create(client, group, evil)
    assert response.status_code == 200
    assert "Upload a PNG, JPEG, GIF or WebP image" in response.content.decode()
    assert not group.petitions.exists()


def test_a_real_image_is_stored_under_a_generated_name_and_re_encoded(
    client, organiser, group, tmp_media
):
    client.force_login(organiser)
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    jpeg = image_bytes("JPEG", exif=exif.tobytes()) + b"<html><script>x</script></html>"
    response = _create(client, group, SimpleUploadedFile("evil.html", jpeg, "text/html"))
    assert response.status_code == 302
    petition = group.petitions.get()
    name = petition.image.name
    assert name.endswith(".jpg") and "evil" not in name and ".html" not in name
    stored = petition.image.read()
    assert b"<script" not in stored and b"secret description" not in stored
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


def test_too_many_pixels_is_refused(client, organiser, group, tmp_media):
    client.force_login(organiser)
    bomb = image_bytes("PNG", size=(6000, 6000))  # 36 megapixels, a few kilobytes
    response = _create(client, group, SimpleUploadedFile("big.png", bomb, "image/png"))
    assert response.status_code == 200
    assert "25 megapixels" in response.content.decode()


def test_images_are_served_as_images_with_safe_headers(client, organiser, group, tmp_media):
    client.force_login(organiser)
    _create(client, group, SimpleUploadedFile("evil.html", image_bytes("GIF"), "text/html"))
    petition = group.petitions.get()
    petition.status = PetitionStatus.OPEN
    petition.save()
    client.logout()
    response = client.get(petition.image_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="{petition.slug}.gif"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"].startswith("public")
    assert b"".join(response.streaming_content).startswith(b"GIF8")
    page = client.get(petition.get_absolute_url()).content.decode()
    assert f'src="{petition.image_url}"' in page and "/media/" not in page


def test_an_unpublished_petitions_image_is_only_for_its_organisers(
    client, organiser, group, tmp_media
):
    client.force_login(organiser)
    _create(client, group, SimpleUploadedFile("a.png", image_bytes("PNG"), "image/png"))
    petition = group.petitions.get()
    assert petition.status == PetitionStatus.DRAFT
    response = client.get(petition.image_url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    client.force_login(UserFactory())
    assert client.get(petition.image_url).status_code == 404
    client.logout()
    assert client.get(petition.image_url).status_code == 404
    # A guessed or stale name is not served either.
    wrong = reverse("petitions:image", kwargs={"slug": petition.slug, "name": "x.png"})
    client.force_login(organiser)
    assert client.get(wrong).status_code == 404


def test_the_admin_checks_uploads_too(rf, petition, tmp_media):
    from django.contrib import admin

    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    form_class = admin.site._registry[Petition].get_form(request, petition)
    evil = SimpleUploadedFile("evil.html", b"GIF89a<script>x</script>", "image/gif")
    form = form_class(instance=petition, files={"image": evil}, data={})
    form.is_valid()
    assert "Upload a PNG, JPEG, GIF or WebP image." in form.errors["image"]


def test_an_old_upload_with_an_unsafe_name_is_never_served(client, group, tmp_media):
    from django.core.files.base import ContentFile

    petition = PetitionFactory(group=group)
    petition.image.save("evil.html", ContentFile(b"<script>alert(1)</script>"))
    assert petition.image.name.endswith(".bin")
    assert client.get(petition.image_url).status_code == 404


# --- 5. Moderation ---------------------------------------------------------------------------


def test_changing_an_approved_petitions_image_sends_it_back_to_moderation(
    client, organiser, tmp_media
):
    group = GroupFactory(is_verified=False)
    from tests.factories import MembershipFactory

    MembershipFactory(user=organiser, group=group, role="organiser")
    staff = UserFactory(is_staff=True)
    petition = PetitionFactory(group=group, status=PetitionStatus.DRAFT)
    petition_submit(petition=petition)
    petition_moderate(petition=petition, staff=staff, approve=True)
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.OPEN

    client.force_login(organiser)
    form = client.get(reverse("petitions:edit", args=[petition.slug])).content.decode()
    assert "hidden until they approve the change" in form
    response = client.post(
        reverse("petitions:edit", args=[petition.slug]),
        {
            "title": petition.title,
            "target": petition.target,
            "body": petition.body,
            "image": SimpleUploadedFile("new.png", image_bytes("PNG"), "image/png"),
        },
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.PENDING
    client.logout()
    assert client.get(petition.get_absolute_url()).status_code == 404
    assert client.get(petition.image_url).status_code == 404
    client.force_login(staff)
    queue = client.get(reverse("petitions:staff_moderation")).content.decode()
    assert petition.title in queue and petition.image_url in queue
    petition_moderate(petition=petition, staff=staff, approve=True)
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.OPEN


def test_removing_the_image_also_needs_moderation_and_a_closing_date_does_not(tmp_media):
    group = GroupFactory(is_verified=False)
    petition = PetitionFactory(group=group, status=PetitionStatus.OPEN)
    petition_update(petition=petition, closes_at=timezone.now() + timedelta(days=9))
    assert Petition.objects.get(pk=petition.pk).status == PetitionStatus.OPEN
    petition_update(petition=petition, image=SimpleUploadedFile("a.png", image_bytes("PNG")))
    assert Petition.objects.get(pk=petition.pk).status == PetitionStatus.PENDING
    Petition.objects.filter(pk=petition.pk).update(status=PetitionStatus.OPEN)
    petition.refresh_from_db()
    petition_update(petition=petition, image=False)
    assert Petition.objects.get(pk=petition.pk).status == PetitionStatus.PENDING


def test_a_verified_groups_change_stays_live(tmp_media):
    petition = PetitionFactory(group=GroupFactory(is_verified=True), status=PetitionStatus.OPEN)
    petition_update(petition=petition, image=SimpleUploadedFile("a.png", image_bytes("PNG")))
    assert Petition.objects.get(pk=petition.pk).status == PetitionStatus.OPEN
