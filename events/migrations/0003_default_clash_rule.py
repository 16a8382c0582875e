from django.db import migrations


def create_default_rule(apps, schema_editor):
    ClashRule = apps.get_model("events", "ClashRule")
    if not ClashRule.objects.exists():
        ClashRule.objects.create(
            name="Party branches vs pro-EU and Progressive Alliance groups",
            side_a_kinds=["party_branch"],
            side_b_kinds=["pro_eu", "progressive_alliance"],
            is_active=True,
        )


def delete_default_rule(apps, schema_editor):
    ClashRule = apps.get_model("events", "ClashRule")
    ClashRule.objects.filter(
        name="Party branches vs pro-EU and Progressive Alliance groups", party__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0002_clash_detection")]

    operations = [migrations.RunPython(create_default_rule, delete_default_rule)]
