"""Candidates' photos: added by their own party's staff with the candidate, checked by the one
image pipeline (alliance/images.py), shown with alt text on the primary page and the ballot,
and fixed once voting opens."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from primaries import services
from primaries.models import Candidate, PrimaryAcceptance
from tests.primaries.conftest import deliver, link_token, register_and_confirm, set_up

pytestmark = pytest.mark.django_db


def _png(colour="red") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def _staff(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, pw, party, photo, name="Lab Candidate"):
    return client.post(
        f"/primaries/agreement/{pw.agreement.pk}/candidate/",
        {
            "candidate-party": party.pk,
            "candidate-name": name,
            "candidate-statement": f"I stand for {party.name}.",
            "candidate-red_lines": f"{party.short_name}: no austerity.",
            "candidate-photo": photo,
        },
    )


def test_staff_add_a_photo_shown_with_alt_text_on_the_page_and_the_ballot(pw, lookup, travel):
    primary = set_up(pw, accept=False)
    lab, lab_staff = pw.parties[0], pw.staff[0]
    response = _post(_staff(lab_staff), pw, lab, _png())
    assert response.status_code == 302
    candidate = Candidate.objects.get(primary=primary, party=lab)
    assert candidate.photo.name.startswith("primaries/") and candidate.photo.name.endswith(".png")
    photo_url = candidate.photo_url
    # Before the primary is published: its parties' staff only.
    assert _staff(lab_staff).get(photo_url)["Content-Type"] == "image/png"
    assert Client().get(photo_url).status_code == 404
    assert _staff(pw.outsider_staff).get(photo_url).status_code == 404
    for party, person in zip(pw.parties, pw.staff, strict=True):
        services.primary_accept(primary=primary, user=person, party=party)
    primary.refresh_from_db()  # published
    response = Client().get(photo_url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    alt = 'alt="Photo of Lab Candidate, Labour"'
    assert alt in Client().get(f"/primaries/{primary.pk}/").content.decode()
    # And on the ballot.
    travel(pw.at("registration"))
    register_and_confirm(primary, "voter@example.org")
    travel(pw.at("voting"))
    mail.outbox.clear()
    services.ballots_send_due()
    token = link_token(deliver()[-1].body, "/primaries/vote/")
    ballot = Client().get(f"/primaries/vote/{token}/").content.decode()
    assert alt in ballot and f'src="{photo_url}"' in ballot


def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_lost(pw):
    primary = set_up(pw)
    lab, lab_staff = pw.parties[0], pw.staff[0]
    assert _post(_staff(lab_staff), pw, lab, _png()).status_code == 302
    for party, person in zip(pw.parties, pw.staff, strict=True):
        services.primary_accept(primary=primary, user=person, party=party)
    before = Candidate.objects.get(primary=primary, party=lab)
    fake = SimpleUploadedFile("me.png", b"<html><script>x</script></html>", "image/png")
    response = _post(_staff(lab_staff), pw, lab, fake, name="A new name")
    assert response.status_code == 400
    assert "Upload a PNG, JPEG, GIF or WebP image." in response.content.decode()
    assert 'value="A new name"' in response.content.decode()  # the form as typed
    after = Candidate.objects.get(pk=before.pk)
    assert (after.name, after.photo.name) == (before.name, before.photo.name)
    assert PrimaryAcceptance.objects.filter(primary=primary).count() == 3  # nothing reset


def test_staff_of_another_party_cannot_change_it(pw):
    primary = set_up(pw)
    lab = pw.parties[0]
    before = Candidate.objects.get(primary=primary, party=lab)
    # Staff of another party in the agreement: Labour is not one of their choices.
    assert _post(_staff(pw.staff[1]), pw, lab, _png()).status_code == 400
    # Staff of a party outside the agreement: not theirs to set up at all.
    assert _post(_staff(pw.outsider_staff), pw, lab, _png()).status_code == 403
    assert Client().post(f"/primaries/agreement/{pw.agreement.pk}/candidate/").status_code == 302
    assert Candidate.objects.get(pk=before.pk).photo.name == ""


def test_photos_are_fixed_once_voting_opens(pw, travel):
    primary = set_up(pw)
    lab, lab_staff = pw.parties[0], pw.staff[0]
    travel(pw.at("voting"))
    response = _post(_staff(lab_staff), pw, lab, _png())
    assert response.status_code in (400, 403)
    assert Candidate.objects.get(primary=primary, party=lab).photo.name == ""
