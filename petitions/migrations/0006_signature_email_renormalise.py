"""Recompute every signature's email_normalised with the current rule (a "+tag" is dropped for
every domain, not only for listed providers), without breaking the unique (petition,
email_normalised) constraint.

Rows that now fall together are one person. Which row is kept is decided deterministically:
the earliest confirmed (by confirmed_at, then id); when none is confirmed, the earliest created
(created_at, then id). The others are deleted. Kept rows get changed_at = now, so the count task
recounts their petitions within seconds. Anonymised rows (email "") keep their placeholder.

The rule is imported from petitions.emails on purpose: this migration means "apply the rule".
"""

from collections import defaultdict

from django.db import migrations
from django.utils import timezone

from petitions.emails import email_normalise


def _kept_first(row: dict) -> tuple:
    """Sort key: the earliest confirmed row first, then the earliest created."""
    if row["status"] == "confirmed":  # a historical model: no enums here
        return (0, row["confirmed_at"], row["pk"])
    return (1, row["created_at"], row["pk"])


def signatures_renormalise(Signature) -> tuple[int, int]:
    """Returns (rows updated, duplicate rows deleted)."""
    groups = defaultdict(list)
    rows = (
        Signature.objects.exclude(email="")
        .order_by("pk")
        .values(
            "pk", "petition_id", "email", "email_normalised", "status", "confirmed_at", "created_at"
        )
    )
    for row in rows.iterator():
        groups[(row["petition_id"], email_normalise(row["email"]))].append(row)
    now = timezone.now()
    updated = deleted = 0
    for (_, normalised), members in groups.items():
        keep, *duplicates = sorted(members, key=_kept_first)
        if duplicates:
            deleted += Signature.objects.filter(pk__in=[row["pk"] for row in duplicates]).delete()[0]
        if keep["email_normalised"] != normalised or duplicates:
            Signature.objects.filter(pk=keep["pk"]).update(
                email_normalised=normalised, changed_at=now
            )
            updated += 1
    return updated, deleted


def forwards(apps, schema_editor):
    signatures_renormalise(apps.get_model("petitions", "Signature"))


class Migration(migrations.Migration):
    dependencies = [("petitions", "0005_signature_notice_image_names")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
