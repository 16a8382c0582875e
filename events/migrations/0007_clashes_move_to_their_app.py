"""Clash detection moved to the clashes app: its models leave the events app's state only.
The tables (events_clash, events_clashnotification, events_clashrule,
events_notificationpreference) stay where they are, with their data; clashes/migrations/0001
takes them over under their old names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_clash_area_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='clashnotification',
                    name='clash',
                ),
                migrations.RemoveField(
                    model_name='clashnotification',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='clashrule',
                    name='party',
                ),
                migrations.RemoveField(
                    model_name='notificationpreference',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Clash',
                ),
                migrations.DeleteModel(
                    name='ClashNotification',
                ),
                migrations.DeleteModel(
                    name='ClashRule',
                ),
                migrations.DeleteModel(
                    name='NotificationPreference',
                ),
            ],
            database_operations=[],
        ),
    ]
