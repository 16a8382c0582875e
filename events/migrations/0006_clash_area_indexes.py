"""Two GiST indexes for clash detection, one per area branch of the clash query
(events/detection.py): same constituency and time, and near point and time. With them an index
probe reads only events at that time AND in that place, instead of every event at that time.

They are raw SQL, not Meta.indexes of Event: Django has no index on `point(longitude, latitude)`
and partial GiST on a generated range column. `btree_gist` (a trusted extension since
PostgreSQL 13: the database owner can install it) gives GiST the bigint constituency_id.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("events", "0005_event_group_kind_index")]

    operations = [
        BtreeGistExtension(),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS clash_seat_span_gist ON events_event "
            "USING gist (constituency_id, span) "
            "WHERE status = 'scheduled' AND constituency_id IS NOT NULL",
            "DROP INDEX IF EXISTS clash_seat_span_gist",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS clash_point_span_gist ON events_event "
            "USING gist (point(longitude, latitude), span) "
            "WHERE status = 'scheduled' AND latitude IS NOT NULL",
            "DROP INDEX IF EXISTS clash_point_span_gist",
        ),
    ]
