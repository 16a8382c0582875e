"""Writes to a petition itself: create, edit, submit, moderate, close, deliver."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.text import slugify

from alliance.images import image_prepare
from alliance.tasks import enqueue_after_commit
from groups.models import Group
from petitions.models import (
    Petition,
    PetitionStatus,
)
from petitions.tasks import petition_count_task


def _unique_slug(title: str) -> str:
    base = slugify(title)[:140] or "petition"
    slug, n = base, 2
    while Petition.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def petition_create(
    *,
    group: Group,
    author,
    title: str,
    target: str,
    body: str,
    image=None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    is_sample: bool = False,
    target_party=None,
) -> Petition:
    """A draft petition; organisers submit it when ready (see petition_submit)."""
    petition = Petition(
        group=group,
        created_by=author,
        title=title,
        slug=_unique_slug(title),
        target=target,
        target_party=target_party,
        body=body,
        opens_at=opens_at,
        closes_at=closes_at,
        is_sample=is_sample,
    )
    if image:
        petition.image = image_prepare(image)
    petition.full_clean()
    petition.save()
    return petition


WORDING = ("title", "target", "target_party", "body")
# What the public sees: a change to any of these on a moderated petition needs moderation again.
PUBLIC_CONTENT = (*WORDING, "image")


def petition_needs_moderation(petition: Petition) -> bool:
    """Staff approve what a group publishes unless staff have verified the group."""
    return not petition.group.is_verified


def _content_changed(name: str, value, saved: Petition) -> bool:
    if name != "image":
        return value != getattr(saved, name)
    if value is None:
        return False
    if isinstance(value, FieldFile):
        return value.name != saved.image.name
    if not value:  # cleared
        return bool(saved.image)
    return True  # a new upload


@transaction.atomic
def petition_update(*, petition: Petition, **fields) -> Petition:
    """Edit a petition. Once open, its wording is frozen (people signed it); a change to the
    public content of an open petition that needed moderation sends it back to staff: it is
    hidden (status pending) until they approve it again, so nothing unmoderated is ever shown."""
    saved = Petition.objects.select_for_update().select_related("group").get(pk=petition.pk)
    if saved.status not in (PetitionStatus.DRAFT, PetitionStatus.PENDING, PetitionStatus.OPEN):
        raise ValidationError("A closed or rejected petition can no longer be edited.")
    changed = {
        name
        for name in PUBLIC_CONTENT
        if name in fields and _content_changed(name, fields[name], saved)
    }
    if saved.status == PetitionStatus.OPEN and changed & set(WORDING):
        raise ValidationError(
            "People have signed this wording: once a petition is open, its title, target "
            "and text cannot change. You can still change the image and closing date."
        )
    for name, value in fields.items():
        if name == "image" and value is None:
            continue
        if name == "image" and value is False:  # the form's "clear" box
            value = ""
        elif name == "image" and value and not isinstance(value, FieldFile):
            value = image_prepare(value)
        setattr(petition, name, value)
    petition.status = saved.status
    if changed and saved.status == PetitionStatus.OPEN and petition_needs_moderation(saved):
        petition.status = PetitionStatus.PENDING
    petition.full_clean()
    petition.save()
    return petition


@transaction.atomic
def petition_submit(*, petition: Petition) -> Petition:
    """Draft -> open when the group is verified, otherwise -> awaiting moderation by staff."""
    petition = Petition.objects.select_for_update().select_related("group").get(pk=petition.pk)
    if petition.status != PetitionStatus.DRAFT:
        raise ValidationError("Only a draft can be submitted.")
    petition.status = (
        PetitionStatus.PENDING if petition_needs_moderation(petition) else PetitionStatus.OPEN
    )
    petition.save(update_fields=["status"])
    return petition


@transaction.atomic
def petition_moderate(*, petition: Petition, staff, approve: bool, reason: str = "") -> Petition:
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if petition.status != PetitionStatus.PENDING:
        raise ValidationError("This petition is not awaiting moderation.")
    if not approve and not reason.strip():
        raise ValidationError({"reason": "Give the organisers a reason."})
    petition.status = PetitionStatus.OPEN if approve else PetitionStatus.REJECTED
    petition.rejection_reason = "" if approve else reason.strip()
    petition.moderated_by = staff
    petition.moderated_at = timezone.now()
    petition.save()
    return petition


@transaction.atomic
def petition_close(*, petition: Petition, now: datetime | None = None) -> Petition:
    """Close early (organisers) or on its closing date (beat). Idempotent."""
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if petition.status == PetitionStatus.CLOSED:
        return petition
    if petition.status != PetitionStatus.OPEN:
        raise ValidationError("Only an open petition can be closed.")
    petition.status = PetitionStatus.CLOSED
    petition.closed_at = now or timezone.now()
    petition.save(update_fields=["status", "closed_at"])
    enqueue_after_commit(petition_count_task, petition.pk)
    return petition


@transaction.atomic
def petition_deliver(*, petition: Petition, delivered_on: date, note: str = "") -> Petition:
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if petition.status not in (PetitionStatus.OPEN, PetitionStatus.CLOSED):
        raise ValidationError("Only a published petition can be delivered.")
    if delivered_on > timezone.localdate():
        raise ValidationError({"delivered_on": "The hand-over date cannot be in the future."})
    petition.delivered_at = delivered_on
    petition.delivery_note = note.strip()
    petition.save(update_fields=["delivered_at", "delivery_note"])
    return petition


def petitions_close_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    closed = 0
    for petition in Petition.objects.due_to_close(now):
        petition_close(petition=petition, now=petition.closes_at)
        closed += 1
    return closed
