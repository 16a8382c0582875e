"""Two GiST indexes for clash detection, one per area branch of the clash query
(events/detection.py): same constituency and time, and near point and time. With them an index
probe reads only events at that time AND in that place, instead of every event at that time.

They are raw SQL, not Meta.indexes of Event: Django has no index on `point(longitude, latitude)`
and partial GiST on a generated range column. The constituency index needs `btree_gist` (a
trusted extension since PostgreSQL 13: the database owner can install it). Where the server
does not ship it (the embedded PostgreSQL of `make run` has no contrib modules) that index is
skipped: the same-constituency branch then probes the span index and stays correct, only slower.
"""

from django.db import migrations

SEAT_INDEX = (
    "CREATE INDEX IF NOT EXISTS clash_seat_span_gist ON events_event "
    "USING gist (constituency_id, span) "
    "WHERE status = 'scheduled' AND constituency_id IS NOT NULL"
)
POINT_INDEX = (
    "CREATE INDEX IF NOT EXISTS clash_point_span_gist ON events_event "
    "USING gist (point(longitude, latitude), span) "
    "WHERE status = 'scheduled' AND latitude IS NOT NULL"
)


def create_indexes(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'")
        if cursor.fetchone():
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            cursor.execute(SEAT_INDEX)
        cursor.execute(POINT_INDEX)


def drop_indexes(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS clash_seat_span_gist")
        cursor.execute("DROP INDEX IF EXISTS clash_point_span_gist")


class Migration(migrations.Migration):
    dependencies = [("events", "0005_event_group_kind_index")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
