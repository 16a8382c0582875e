"""The content types of the clash models move from the events app label to clashes, keeping
their ids: admin log entries and permissions (which point at the id) survive the move."""

from django.db import migrations

MODELS = ["clash", "clashnotification", "clashrule", "notificationpreference"]


def relabel(apps, schema_editor, *, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moving = content_type.objects.filter(app_label=old, model=model)
        if not moving.exists():
            continue  # a fresh database: post_migrate creates the new ones
        # A row under the new label can only be an empty one made by an earlier migrate.
        content_type.objects.filter(app_label=new, model=model).delete()
        moving.update(app_label=new)


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, old="events", new="clashes")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, old="clashes", new="events")


class Migration(migrations.Migration):
    dependencies = [
        ("clashes", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
