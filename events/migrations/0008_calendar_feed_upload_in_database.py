"""Calendar feeds: uploaded files move from MEDIA_ROOT into the database (nothing under MEDIA
is a calendar anyone can download), feeds get a default constituency and a preview state,
and imported events default to the group's members."""

from django.db import migrations, models
import django.db.models.deletion


def uploads_into_database(apps, schema_editor):
    CalendarFeed = apps.get_model("events", "CalendarFeed")
    for feed in CalendarFeed.objects.exclude(upload=""):
        try:
            with feed.upload.open("rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            data = b""  # the sync reports it; the organiser uploads it again
        feed.upload_data = data
        feed.upload_name = feed.upload.name.rsplit("/", 1)[-1][:200]
        feed.save(update_fields=["upload_data", "upload_name"])
        try:
            feed.upload.storage.delete(feed.upload.name)
        except OSError:
            pass


def default_constituencies(apps, schema_editor):
    """The group's constituency when it covers exactly one."""
    CalendarFeed = apps.get_model("events", "CalendarFeed")
    for feed in CalendarFeed.objects.filter(default_constituency__isnull=True).select_related(
        "group"
    ):
        seats = list(feed.group.constituencies.values_list("pk", flat=True)[:2])
        if len(seats) == 1:
            feed.default_constituency_id = seats[0]
            feed.save(update_fields=["default_constituency"])


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_clashes_move_to_their_app"),
        ("groups", "0001_initial"),
        ("seats", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="upload_data",
            field=models.BinaryField(
                blank=True, editable=False, null=True, verbose_name="iCalendar file"
            ),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="upload_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(uploads_into_database, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="calendarfeed", name="calendarfeed_url_or_upload"),
        migrations.RemoveField(model_name="calendarfeed", name="upload"),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("url", ""), _negated=True),
                    ("upload_data__isnull", False),
                    _connector="OR",
                ),
                name="calendarfeed_url_or_upload_data",
            ),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="default_constituency",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="seats.constituency",
                verbose_name="Constituency of events without a postcode",
            ),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="is_preview",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="calendarfeed",
            name="visibility",
            field=models.CharField(
                choices=[
                    ("public", "Public: anyone"),
                    ("alliance", "Alliance: signed-in members of any group and party staff"),
                    ("group", "Group: this group's members only"),
                ],
                default="group",
                max_length=10,
                verbose_name="Who can see the imported events",
            ),
        ),
        migrations.RunPython(default_constituencies, migrations.RunPython.noop),
    ]
