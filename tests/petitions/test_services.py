from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from petitions.models import (
    ConstituencyTally,
    Milestone,
    PetitionStatus,
    PetitionTally,
    PetitionUpdate,
    Signature,
    SignatureStatus,
)
from petitions.services.abuse import InvalidationCriteria, signatures_invalidate
from petitions.services.counting import petition_count, petitions_count_recent, petitions_reconcile
from petitions.services.petitions import (
    petition_close,
    petition_create,
    petition_deliver,
    petition_moderate,
    petition_submit,
    petition_update,
    petitions_close_due,
)
from petitions.services.retention import petitions_retention_apply, signatures_expire
from petitions.services.signing import (
    signature_confirm,
    signature_confirmations_send,
    signature_create,
    signature_lookup_retry,
    signature_remove,
    signature_unsubscribe,
)
from petitions.services.updates import milestones_notify, petition_update_send_batch
from tests.factories import GroupFactory, UserFactory
from tests.petitions.conftest import link_from
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def sign(petition, email="jo.bloggs@gmail.com", **kwargs):
    data = {"name": "Jo Bloggs", "email": email, "postcode": "sw1a1aa", **kwargs}
    return signature_create(petition=petition, **data)


def shown(petition) -> int:
    petition_count(petition_id=petition.pk)
    return PetitionTally.objects.get(petition=petition).confirmed_count


def test_unconfirmed_signature_does_not_count(petition):
    outcome = sign(petition)
    assert outcome.created
    assert outcome.signature.status == SignatureStatus.PENDING
    assert outcome.signature.postcode == "SW1A 1AA"
    assert shown(petition) == 0
    signature_confirm(token=outcome.signature.token)
    assert shown(petition) == 1


def test_case_dot_and_plus_variants_count_once(petition):
    first = sign(petition, "jo.bloggs@gmail.com")
    signature_confirm(token=first.signature.token)
    for variant in ["JO.BLOGGS@gmail.com", "jobloggs+x@googlemail.com", "j.o.bloggs@Gmail.com"]:
        again = sign(petition, variant)
        assert not again.created
        assert again.signature.pk == first.signature.pk
        signature_confirm(token=again.signature.token)
    assert Signature.objects.filter(petition=petition).count() == 1
    assert shown(petition) == 1


def test_second_attempt_while_unconfirmed_resends_once_per_window(
    petition, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign(petition)
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = sign(petition, "JoBloggs@gmail.com")
    assert again.confirmation_resent and len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        third = sign(petition, "jobloggs@gmail.com")
    assert not third.confirmation_resent and len(mail.outbox) == 2


def test_confirmation_email_has_text_and_html_and_safe_subject(
    petition, eager_tasks, django_capture_on_commit_callbacks
):
    petition.title = "Line one\r\nBcc: victim@example.org"
    petition.save()
    with django_capture_on_commit_callbacks(execute=True):
        sign(petition, name="<b>Jo</b>")
    message = mail.outbox[0]
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.alternatives[0][1] == "text/html"
    assert "&lt;b&gt;Jo&lt;/b&gt;" in message.alternatives[0][0]
    assert link_from(message, "confirm") and link_from(message, "remove")


def test_confirm_twice_is_harmless_and_removal_lowers_count(petition):
    outcome = sign(petition)
    signature_confirm(token=outcome.signature.token)
    signature_confirm(token=outcome.signature.token)
    other = sign(petition, "sam@example.org")
    signature_confirm(token=other.signature.token)
    assert shown(petition) == 2
    signature_remove(token=outcome.signature.token)
    assert shown(petition) == 1
    # Confirming a removed signature does not bring it back; signing again does (once).
    signature_confirm(token=outcome.signature.token)
    assert shown(petition) == 1
    again = sign(petition)
    assert again.created and again.signature.pk == outcome.signature.pk
    signature_confirm(token=again.signature.token)
    assert shown(petition) == 2


def test_signed_in_verified_user_is_confirmed_at_once(petition, user):
    outcome = signature_create(
        petition=petition,
        name=user.name,
        email=user.email,
        postcode="SW1A 1AA",
        user=user,
        email_verified=True,
    )
    assert outcome.signature.status == SignatureStatus.CONFIRMED
    assert shown(petition) == 1


def test_closed_or_draft_petition_refuses_signatures(group):
    for status in [PetitionStatus.CLOSED, PetitionStatus.DRAFT, PetitionStatus.PENDING]:
        petition = PetitionFactory(group=group, status=status)
        with pytest.raises(ValidationError):
            sign(petition)
    expired = PetitionFactory(group=group, closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        sign(expired)


def test_disposable_and_non_uk_postcode_refused(petition):
    with pytest.raises(ValidationError) as error:
        sign(petition, "x@yopmail.com")
    assert "email" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        sign(petition, postcode="10115")
    assert "postcode" in error.value.error_dict
    assert not Signature.objects.exists()


def test_constituency_from_lookup_and_failed_lookup_keeps_signature(
    petition, constituencies, postcodes_server, django_capture_on_commit_callbacks
):
    postcodes_server.answers["SW1A1AA"] = constituencies[0].ons_code
    found = sign(petition, "a@example.org")
    assert found.signature.constituency == constituencies[0]
    postcodes_server.answers["M11AE"] = None  # the service errors
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        kept = sign(petition, "b@example.org", postcode="M1 1AE")
    assert kept.created and kept.signature.constituency is None
    assert len(callbacks) == 2  # confirmation email + lookup retry
    # The service recovers: the retry fills the constituency in.
    postcodes_server.answers["M11AE"] = constituencies[1].ons_code
    assert signature_lookup_retry(signature_id=kept.signature.pk)
    kept.signature.refresh_from_db()
    assert kept.signature.constituency == constituencies[1]


def test_count_by_constituency_and_reconcile_repairs_drift(petition, constituencies):
    for i, seat in enumerate([0, 0, 1, None]):
        SignatureFactory(
            petition=petition,
            confirmed=True,
            constituency=constituencies[seat] if seat is not None else None,
            email=f"p{i}@example.org",
        )
    SignatureFactory(petition=petition, constituency=constituencies[2])  # unconfirmed
    assert shown(petition) == 4
    counts = dict(
        ConstituencyTally.objects.filter(petition=petition).values_list(
            "constituency_id", "confirmed_count"
        )
    )
    assert counts == {constituencies[0].pk: 2, constituencies[1].pk: 1}
    PetitionTally.objects.filter(petition=petition).update(confirmed_count=999)  # drift
    assert petitions_reconcile()[petition.pk] == 4
    assert PetitionTally.objects.get(petition=petition).confirmed_count == 4


def test_count_recent_only_recounts_recently_changed(petition, group):
    stale = PetitionFactory(group=group)
    SignatureFactory(petition=stale, confirmed=True, changed_at=timezone.now() - timedelta(hours=1))
    SignatureFactory(petition=petition, confirmed=True)
    assert petitions_count_recent() == {petition.pk: 1}


def test_milestone_recorded_once_and_organisers_told_once(
    petition, organiser, eager_tasks, django_capture_on_commit_callbacks
):
    SignatureFactory.create_batch(100, petition=petition, confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert petition_count(petition_id=petition.pk) == 100
    with django_capture_on_commit_callbacks(execute=True):
        petition_count(petition_id=petition.pk)
    assert list(Milestone.objects.filter(petition=petition).values_list("goal", flat=True)) == [100]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [organiser.email]
    assert "100 have signed" in mail.outbox[0].subject
    assert milestones_notify(petition_id=petition.pk) == 0


def test_expiry_deletes_only_old_unconfirmed(petition, settings):
    settings.PETITIONS_UNCONFIRMED_EXPIRY_HOURS = 24
    old = timezone.now() - timedelta(hours=25)
    SignatureFactory(petition=petition, created_at=old)
    kept_confirmed = SignatureFactory(petition=petition, created_at=old, confirmed=True)
    kept_new = SignatureFactory(petition=petition)
    assert signatures_expire() == 1
    assert set(Signature.objects.values_list("pk", flat=True)) == {kept_confirmed.pk, kept_new.pk}


def test_bulk_invalidation_by_domain_ip_and_time_corrects_counts(petition):
    SignatureFactory(
        petition=petition, confirmed=True, email="a@spam.test", email_domain="spam.test"
    )
    SignatureFactory(
        petition=petition, confirmed=True, email="b@x.spam.test", email_domain="x.spam.test"
    )
    SignatureFactory(petition=petition, confirmed=True, ip="203.0.113.9")
    SignatureFactory(petition=petition, confirmed=True, ip="198.51.100.1")
    SignatureFactory(petition=petition, confirmed=True, ip="2001:db8::5")
    assert shown(petition) == 5
    domain = InvalidationCriteria(domain="spam.test")
    assert signatures_invalidate(criteria=domain) == 2
    assert PetitionTally.objects.get(petition=petition).confirmed_count == 3
    network = InvalidationCriteria(ip_network="203.0.113.0/24")
    assert signatures_invalidate(criteria=network) == 1
    v6 = InvalidationCriteria(ip_network="2001:db8::/32")
    assert signatures_invalidate(criteria=v6) == 1
    window = InvalidationCriteria(start=timezone.now() + timedelta(minutes=1))
    assert signatures_invalidate(criteria=window) == 0
    assert PetitionTally.objects.get(petition=petition).confirmed_count == 1
    with pytest.raises(ValidationError):
        InvalidationCriteria().queryset()


def test_retention_wipes_personal_data_and_keeps_counts(petition, constituencies, settings):
    settings.PETITIONS_RETENTION_MONTHS = 6
    SignatureFactory.create_batch(
        3, petition=petition, confirmed=True, constituency=constituencies[0]
    )
    petition_close(petition=petition, now=timezone.now() - timedelta(days=200))
    assert shown(petition) == 3
    assert petitions_retention_apply() == 1
    assert not Signature.objects.exclude(name="").exists()
    assert not Signature.objects.exclude(email="").exists()
    assert not Signature.objects.filter(ip__isnull=False).exists()
    assert shown(petition) == 3
    assert ConstituencyTally.objects.get(petition=petition).confirmed_count == 3
    assert petitions_retention_apply() == 0


def test_update_email_batches_only_consenting_with_unsubscribe(
    petition, eager_tasks, django_capture_on_commit_callbacks
):
    consenting = SignatureFactory.create_batch(
        5, petition=petition, confirmed=True, consent_to_contact=True
    )
    SignatureFactory(petition=petition, confirmed=True, consent_to_contact=False)
    SignatureFactory(petition=petition, consent_to_contact=True)  # unconfirmed
    signature_unsubscribe(token=consenting[0].token)
    update = PetitionUpdate.objects.create(petition=petition, subject="News", body="Hello")
    assert petition_update_send_batch(update_id=update.pk, batch_size=3) is True
    assert petition_update_send_batch(update_id=update.pk, batch_size=3) is False
    assert petition_update_send_batch(update_id=update.pk, batch_size=3) is False
    update.refresh_from_db()
    assert update.sent_count == 4 and update.finished_at
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in consenting[1:])
    assert all("/unsubscribe/" in m.body for m in mail.outbox)
    assert all(m.extra_headers["List-Unsubscribe"] for m in mail.outbox)


def test_submit_opens_for_verified_group_and_waits_otherwise():
    organiser = UserFactory()
    verified = GroupFactory(organiser=organiser, is_verified=True)
    unverified = GroupFactory(organiser=organiser)
    for group, expected in [(verified, PetitionStatus.OPEN), (unverified, PetitionStatus.PENDING)]:
        petition = petition_create(
            group=group, author=organiser, title="Save the ferry", target="the council", body="x"
        )
        assert petition_submit(petition=petition).status == expected
    staff = UserFactory(is_staff=True)
    with pytest.raises(ValidationError):
        petition_moderate(petition=petition, staff=staff, approve=False, reason="")
    rejected = petition_moderate(petition=petition, staff=staff, approve=False, reason="Duplicate")
    assert rejected.status == PetitionStatus.REJECTED and rejected.rejection_reason == "Duplicate"


def test_close_due_and_deliver(petition):
    petition.closes_at = timezone.now() - timedelta(seconds=1)
    petition.save()
    assert petitions_close_due() == 1
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.CLOSED
    with pytest.raises(ValidationError):
        petition_deliver(petition=petition, delivered_on=timezone.localdate() + timedelta(1))
    petition_deliver(petition=petition, delivered_on=timezone.localdate(), note="At HQ")
    petition.refresh_from_db()
    assert petition.delivered_at == timezone.localdate()


class FlakyBackend:
    """An email backend whose server drops the connection after the first message."""

    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if FlakyBackend.sent:
            raise ConnectionResetError("SMTP server went away")
        FlakyBackend.sent.extend(messages)
        return len(messages)


def test_confirmation_queue_sends_once_and_requeues_what_failed(petition, settings):
    SignatureFactory.create_batch(3, petition=petition)
    SignatureFactory(petition=petition, confirmed=True)  # nothing to confirm
    settings.EMAIL_BACKEND = "tests.petitions.test_services.FlakyBackend"
    FlakyBackend.sent = []
    with pytest.raises(ConnectionResetError):
        signature_confirmations_send()
    assert Signature.objects.filter(confirmation_sent_at__isnull=False).count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert signature_confirmations_send() == 2
    assert signature_confirmations_send() == 0
    assert len(mail.outbox) == 2


def test_open_petition_wording_is_frozen(petition):
    with pytest.raises(ValidationError):
        petition_update(petition=petition, title="Something else entirely")
    petition_update(petition=petition, title=petition.title, closes_at=None)
    draft = PetitionFactory(group=petition.group, status=PetitionStatus.DRAFT)
    assert petition_update(petition=draft, title="Better title").title == "Better title"


def test_a_claim_left_by_a_killed_sender_is_taken_again_once_stale(petition, settings):
    """A sender SIGKILLed mid-batch never runs its `finally`: its claims must not strand the
    supporters (found by bench/faults). A fresh claim is left alone; a stale one is re-sent."""
    settings.PETITIONS_CONFIRMATION_RECLAIM_SECONDS = 360
    fresh = SignatureFactory(petition=petition, confirmation_claimed_at=timezone.now())
    stale = SignatureFactory(
        petition=petition, confirmation_claimed_at=timezone.now() - timedelta(seconds=400)
    )

    assert signature_confirmations_send() == 1
    assert [message.to for message in mail.outbox] == [[stale.email]]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.confirmation_sent_at is not None
    assert fresh.confirmation_sent_at is None
    assert signature_confirmations_send() == 0
