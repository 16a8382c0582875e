"""A partial GiST index for the group-area branch of the clash query (clashes/detection.py:
`e_area`): the events with no place of their own (no constituency, no coordinates), by time.
They are few, so a probe for "events at that time without a place" reads only those, instead
of every event at that time filtered afterwards.

Raw SQL on the events table, as the other clash indexes (events migration 0006): the index
exists only for the clash query, which this app owns. No extension is needed.
"""

from django.db import migrations

UNPLACED_INDEX = (
    "CREATE INDEX IF NOT EXISTS clash_unplaced_span_gist ON events_event USING gist (span) "
    "WHERE status = 'scheduled' AND constituency_id IS NULL AND latitude IS NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("clashes", "0004_clash_note"),
        ("events", "0008_calendar_feed_upload_in_database"),
    ]

    operations = [
        migrations.RunSQL(UNPLACED_INDEX, "DROP INDEX IF EXISTS clash_unplaced_span_gist")
    ]
