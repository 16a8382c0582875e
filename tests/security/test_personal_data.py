"""Personal data held by events, petitions and seats: exported in full, erased with the account
(signatures anonymised so every count stays, waiting lists and swap partners looked after, no
trace of the person's email or name left in any table), and petition signers without an
account can see, download and delete their data from the link in their confirmation email.
The privacy notice's promises are checked against the code and the beat schedule."""

import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.services import user_data_export, user_delete
from clashes.models import Clash, ClashNotification, NotificationPreference
from events import services as event_services
from events.models import CalendarFeed, CalendarToken, GuestRsvp, Rsvp
from petitions.models import ConstituencyTally, PetitionResponse, PetitionTally, Signature
from petitions.services.signing import signature_confirmations_send
from petitions.signer_data_views import signer_data_token
from petitions.tasks import petition_count_task, petitions_count_task
from seats.models import AgreementPackage, PackageComment, VoteSwap, VoteSwapRegistration
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import ConstituencyFactory, MembershipFactory, UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

EMAIL = "pat.person@example.org"
NAME = "Patricia Quennell-Smythe"


@pytest.fixture
def person(world):
    """Someone with a bit of everything events, petitions and seats hold."""
    pat = UserFactory(email=EMAIL, name=NAME)
    MembershipFactory(user=pat, group=world.group_b, role="organiser")
    # Events: going to a full event with someone waiting; a token, settings, a clash email.
    full = EventFactory(group=world.group_a, title="Full stall", capacity=1)
    event_services.rsvp_set(event=full, user=pat, answer="going")
    waiting = event_services.rsvp_set(event=full, user=world.member_a, answer="going")
    assert waiting.answer == "waiting"
    RsvpFactory(event=world.event_b2, user=pat, answer="maybe")
    event_services.calendar_token_get_or_create(user=pat)
    NotificationPreference.objects.create(user=pat, clash_emails="digest")
    ClashNotification.objects.create(clash=world.clash_b, recipient=pat, status="sent")
    Clash.objects.filter(pk=world.clash_b.pk).update(decided_by=pat, status="acknowledged")
    created = EventFactory(group=world.group_b, title="Pat's canvass", created_by=pat)
    CalendarFeed.objects.create(
        group=world.group_b, name="Pat's feed", url="http://127.0.0.1:9/p.ics", created_by=pat
    )
    # Petitions: a confirmed, counted signature in a constituency, a pending one elsewhere, a
    # signature with the same mailbox made while signed out, and a petition written.
    seat = ConstituencyFactory(boundary_set="2024", name="Pat's seat")
    counted = SignatureFactory(
        petition=world.petition_b, confirmed=True, name=NAME, email=EMAIL,
        email_normalised=EMAIL, constituency=seat, town="Exeter", user=pat,
        consent_to_contact=True, show_publicly=True,
    )  # fmt: skip
    other = PetitionFactory(group=world.group_a, slug="other-petition")
    pending = SignatureFactory(
        petition=other, name=NAME, email=EMAIL.upper(), email_normalised=EMAIL
    )
    written = PetitionFactory(group=world.group_b, slug="pats-petition", created_by=pat)
    # Signed with a second address Pat has verified on the account; and someone else's
    # signature with an address Pat added but never verified (not Pat's to export or erase).
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=pat, email="pat@work.example", verified=True)
    EmailAddress.objects.create(user=pat, email="not.pat@example.net", verified=False)
    third = PetitionFactory(group=world.group_a, slug="third-petition")
    SignatureFactory(petition=third, confirmed=True, name=NAME, email="pat@work.example")
    SignatureFactory(petition=third, confirmed=True, name="Not Pat", email="not.pat@example.net")
    # Events, answered without signing in: with the verified second address (confirmed, ticked
    # "keep me posted"), and someone else's answer with the unverified one.
    guest = event_services.guest_rsvp_request(
        event=world.event_b2, name=NAME, email="pat@work.example", keep_posted=True
    )
    event_services.guest_rsvp_confirm(guest=guest)
    event_services.guest_rsvp_request(
        event=world.event_b2, name="Not Pat", email="not.pat@example.net"
    )
    # Seats: matched with a partner, the swap proposed.
    partner = world.swapper_b
    VoteSwap.objects.all().delete()
    VoteSwapRegistration.objects.filter(user=world.swapper_a).delete()
    mine = VoteSwapRegistration.objects.create(
        user=pat, preferred_party=world.agreement.parties.first().party,
        constituency=seat, postcode="EX1 1AA", status="matched",
    )  # fmt: skip
    theirs = VoteSwapRegistration.objects.get(user=partner)
    a, b = sorted([mine, theirs], key=lambda r: r.pk)
    VoteSwap.objects.create(a=a, b=b, expires_at=timezone.now() + timedelta(days=2))
    # Seats: a comment in a package's local consultation, signed with Pat's name.
    package = AgreementPackage.objects.create(
        election=world.agreement.election, name="Pair", consultation_open=True
    )
    PackageComment.objects.create(
        package=package, author=pat, group=world.group_b, body=f"We back it. {NAME}"
    )
    # Petitions: an answer Pat wrote for a party (the party's record: it stays, unsigned).
    answer = PetitionResponse.objects.create(
        petition=world.petition_b, party=world.agreement.parties.first().party,
        body="We agree.", responded_by=pat,
    )  # fmt: skip
    return {
        "answer": answer,
        "user": pat,
        "full": full,
        "waiting": waiting,
        "created": created,
        "counted": counted,
        "pending": pending,
        "written": written,
        "partner": partner,
        "seat": seat,
    }


def test_export_holds_every_section(person):
    data = user_data_export(user=person["user"])
    text = json.dumps(data)  # JSON-ready as it is
    events = data["events"]
    assert {(r["event"], r["answer"]) for r in events["rsvps"]} == {
        ("Full stall", "going"),
        ("Beta canvass", "maybe"),
    }
    assert events["private_calendar_feed"]["created_at"]
    assert CalendarToken.objects.get(user=person["user"]).token not in text  # not the secret
    assert [e["event"] for e in events["events_created"]] == ["Pat's canvass"]
    (guest,) = events["answers_without_an_account"]
    assert (guest["event"], guest["email"], guest["answer"]) == (
        "Beta canvass", "pat@work.example", "going",
    )  # fmt: skip
    assert guest["confirmed_at"] and guest["keep_me_posted_at"]
    assert [f["name"] for f in events["calendar_feeds_added"]] == ["Pat's feed"]
    clashes = data["clashes"]  # clash detection is its own app, with its own section
    assert clashes["clash_email_setting"] == "digest"
    assert [n["status"] for n in clashes["clash_emails"]] == ["sent"]
    petitions = data["petitions"]
    by_petition = {s["petition_slug"]: s for s in petitions["signatures"]}
    assert set(by_petition) == {"beta-petition", "other-petition", "third-petition"}
    assert by_petition["third-petition"]["email"] == "pat@work.example"
    assert "not.pat@example.net" not in json.dumps(petitions)
    assert by_petition["beta-petition"]["constituency"] == "Pat's seat"
    assert by_petition["beta-petition"]["ip_address"] == "192.0.2.10"
    assert by_petition["other-petition"]["status"] == "pending"
    assert [p["petition_slug"] for p in petitions["petitions_created"]] == ["pats-petition"]
    assert [a["petition"] for a in petitions["answers_written_for_a_party"]] == ["Beta's petition"]
    seats = data["seats"]
    assert seats["vote_swap_registration"]["postcode"] == "EX1 1AA"
    assert seats["vote_swaps"][0]["state"] == "proposed"
    assert seats["vote_swaps"][0]["partner_constituency"] == "Elsewhere"
    assert seats["package_comments"][0]["body"] == f"We back it. {NAME}"
    # Nothing about other people: not the partner, not the person waiting, not other signers.
    for other in (person["partner"], person["waiting"].user):
        assert other.email not in text and other.name not in text


def test_the_download_holds_the_app_sections(client, person):
    client.force_login(person["user"])
    data = json.loads(client.get("/accounts/data/export/").content)
    assert {"events", "petitions", "seats"} <= set(data)


def _text_fields(model):
    for field in model._meta.concrete_fields:
        if isinstance(field, models.GeneratedField):
            continue
        if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
            yield field


def _tables_mentioning(*needles: str) -> list[str]:
    """Every table and column of every installed model whose text holds one of the needles."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in _text_fields(model):
            for needle in needles:
                if isinstance(field, models.JSONField):
                    rows = model._default_manager.annotate(
                        _as_text=Cast(field.name, models.TextField())
                    ).filter(_as_text__icontains=needle)
                else:
                    rows = model._default_manager.filter(**{f"{field.name}__icontains": needle})
                if rows.exists():
                    found.append(f"{model._meta.db_table}.{field.column} ({needle})")
    return found


def test_deleting_the_account_keeps_counts_and_leaves_no_trace(
    person, django_capture_on_commit_callbacks
):
    pat = person["user"]
    petition = person["counted"].petition
    petition_count_task(petition.pk)
    total_before = PetitionTally.objects.get(petition=petition).confirmed_count
    by_seat_before = dict(
        ConstituencyTally.objects.filter(petition=petition).values_list(
            "constituency_id", "confirmed_count"
        )
    )
    assert by_seat_before[person["seat"].pk] == 1
    assert _tables_mentioning(EMAIL, NAME)  # the scan does find the person before

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_delete(user=pat)
    assert callbacks  # the promotion email and the swap matcher are queued after commit

    # Counts: the beat task and the per-petition task both recount to the same numbers.
    petitions_count_task()
    petition_count_task(petition.pk)
    assert PetitionTally.objects.get(petition=petition).confirmed_count == total_before
    assert (
        dict(
            ConstituencyTally.objects.filter(petition=petition).values_list(
                "constituency_id", "confirmed_count"
            )
        )
        == by_seat_before
    )
    counted = Signature.objects.get(pk=person["counted"].pk)
    assert (counted.status, counted.constituency_id) == ("confirmed", person["seat"].pk)
    assert (counted.name, counted.email, counted.postcode, counted.town, counted.ip) == (
        "", "", "", "", None,
    )  # fmt: skip
    assert counted.user_id is None and not counted.show_publicly
    assert not Signature.objects.filter(pk=person["pending"].pk).exists()  # never counted
    # Events: the person waiting got the place; no RSVP, token, setting or clash email left.
    assert Rsvp.objects.get(pk=person["waiting"].pk).answer == "going"
    assert not Rsvp.objects.filter(user_id=pat.pk).exists()
    assert not CalendarToken.objects.filter(user_id=pat.pk).exists()
    assert not ClashNotification.objects.filter(recipient_id=pat.pk).exists()
    person["created"].refresh_from_db()
    assert person["created"].created_by is None  # the group's event stays
    person["answer"].refresh_from_db()
    assert person["answer"].responded_by is None and person["answer"].body == "We agree."
    # Seats: the swap is gone and the partner is back in the queue.
    assert not VoteSwapRegistration.objects.filter(user_id=pat.pk).exists()
    assert VoteSwapRegistration.objects.get(user=person["partner"]).status == "waiting"
    assert not VoteSwap.objects.filter(a__user=person["partner"]).exists()
    assert not VoteSwap.objects.filter(b__user=person["partner"]).exists()
    # No table anywhere still holds their email address or name.
    assert _tables_mentioning(EMAIL, NAME, "pat.person", "pat@work.example") == []
    assert Signature.objects.filter(email="not.pat@example.net", name="Not Pat").exists()
    assert GuestRsvp.objects.filter(email="not.pat@example.net", name="Not Pat").exists()


# --- Signers without an account ----------------------------------------------------------


@pytest.fixture
def signed(client, world, mailoutbox, settings):
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0
    response = client.post(
        f"/petitions/{world.petition_b.slug}/sign/",
        {"name": "Sally Signer", "email": "sally@example.net", "postcode": "SW1A 1AA",
         "town": "Bath", "consent_to_contact": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    signature_confirmations_send()
    (message,) = mailoutbox
    signature = Signature.objects.get(email="sally@example.net")
    return signature, message


def _data_link(message) -> str:
    links = re.findall(r"https?://\S+/petitions/my-signature/\S+/", message.body)
    assert len(links) == 1, message.body
    (html, _), *_ = message.alternatives
    assert links[0] in html
    return links[0].split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_confirmation_email_links_to_the_signers_data(client, signed):
    signature, message = signed
    path = _data_link(message)
    assert path == f"/petitions/my-signature/{signer_data_token(signature)}/"
    response = client.get(path)
    assert response.status_code == 200
    text = response.content.decode()
    for value in ("Sally Signer", "sally@example.net", "SW1A 1AA", "Bath", "Delete my details"):
        assert value in text
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert 'name="robots" content="noindex"' in text


def test_the_signer_downloads_their_data_as_json(client, signed):
    signature, message = signed
    response = client.get(_data_link(message) + "download/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)["signature"]
    assert data["email"] == "sally@example.net" and data["status"] == "pending"
    assert data["consent_to_contact"] is True


def test_forged_or_unsigned_links_are_404(client, signed):
    signature, message = signed
    token = signer_data_token(signature)
    for bad in [
        signature.token,  # the confirm link's token alone is not enough
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.replace(signature.token[:5], "xxxxx"),
        "x:y",
    ]:
        for suffix in ["", "download/"]:
            response = client.get(f"/petitions/my-signature/{bad}/{suffix}")
            assert response.status_code == 404
            assert b"sally@example.net" not in response.content
        assert client.post(f"/petitions/my-signature/{bad}/").status_code == 404
    assert Signature.objects.get(pk=signature.pk).email == "sally@example.net"


def test_a_get_never_deletes(client, signed):
    signature, message = signed
    client.get(_data_link(message))
    assert Signature.objects.get(pk=signature.pk).email == "sally@example.net"


def test_a_confirmed_signer_deletes_their_details_and_the_count_stays(client, world, signed):
    signature, message = signed
    client.post(f"/petitions/s/{signature.token}/confirm/")
    petition_count_task(world.petition_b.pk)
    before = PetitionTally.objects.get(petition=world.petition_b).confirmed_count
    path = _data_link(message)
    response = client.post(path)
    assert response.status_code == 200
    assert b"Your details are deleted" in response.content
    signature.refresh_from_db()
    assert signature.status == "confirmed"
    assert (signature.name, signature.email, signature.postcode, signature.town) == ("",) * 4
    assert signature.ip is None and not signature.consent_to_contact
    assert signature.unsubscribed_at is not None
    petition_count_task(world.petition_b.pk)
    assert PetitionTally.objects.get(petition=world.petition_b).confirmed_count == before
    assert _tables_mentioning("sally@example.net", "Sally Signer") == []
    # The link still works, and says nothing is held any more.
    page = client.get(path).content.decode()
    assert "We hold no personal details for this signature any more" in page
    assert "Delete my details" not in page
    # They can sign again with the same address: the old row no longer blocks it.
    again = client.post(
        f"/petitions/{world.petition_b.slug}/sign/",
        {"name": "Sally Signer", "email": "sally@example.net", "postcode": "SW1A 1AA"},
        REMOTE_ADDR="192.0.2.99",
    )
    assert again.status_code == 302


def test_a_pending_signer_deleting_removes_the_signature(client, signed):
    signature, message = signed
    response = client.post(_data_link(message))
    assert response.status_code == 200
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert client.get(_data_link(message)).status_code == 404


# --- The privacy notice matches the code ---------------------------------------------------

RETENTION_JOBS = {
    # what the notice promises: the beat task that does it
    "expired sessions are deleted by a daily job": "alliance.tasks.sessions_clear_task",
    "Signatures that are never confirmed are deleted": "petitions.tasks.signatures_expire_task",
    "months after a petition closes": "petitions.tasks.petitions_retention_task",
}


def test_every_retention_job_in_the_notice_is_scheduled(client, db):
    text = client.get("/privacy/").content.decode()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for promise, task in RETENTION_JOBS.items():
        assert promise in text, promise
        assert task in scheduled, task
        module, name = task.rsplit(".", 1)
        assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_the_retention_jobs_do_what_the_notice_says(world, settings):
    from alliance.celery import app

    app.loader.import_default_modules()
    settings.PETITIONS_UNCONFIRMED_EXPIRY_HOURS = 72
    settings.PETITIONS_RETENTION_MONTHS = 12
    old = SignatureFactory(petition=world.petition_b, email="old@example.net")
    Signature.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=73))
    fresh = SignatureFactory(petition=world.petition_b, email="fresh@example.net")
    assert app.tasks["petitions.tasks.signatures_expire_task"]() == 1
    assert list(Signature.objects.filter(email__in=["old@example.net", "fresh@example.net"])) == [
        fresh
    ]
    closed = PetitionFactory(
        group=world.group_b, slug="long-closed", status="closed",
        closed_at=timezone.now() - timedelta(days=400),
    )  # fmt: skip
    SignatureFactory(petition=closed, confirmed=True, email="kept@example.net", name="Kept Name")
    assert app.tasks["petitions.tasks.petitions_retention_task"]() == 1
    assert _tables_mentioning("kept@example.net", "Kept Name") == []
    assert Signature.objects.filter(petition=closed, status="confirmed").count() == 1


def test_the_notice_says_what_withdrawing_a_swap_keeps(client, db):
    text = client.get("/privacy/").content.decode()
    assert "Kept until you withdraw or delete your account" not in text
    assert "see, download or delete" in text
