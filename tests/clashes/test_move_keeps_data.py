"""Moving clash detection out of the events app kept the data and the links already sent:
a database at the schema from before the move (events at 0006, no clashes app) with clashes,
emails, preferences, content types, permissions and admin log entries, migrated forward, reads
the same under the new models; an unsubscribe link signed before the move still works."""

from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from clashes.models import Clash, ClashNotification, ClashRule, NotificationPreference
from tests.factories import GroupFactory, UserFactory

BEFORE_EVENTS = ("events", "0006_clash_area_indexes")
OLD_UNSUBSCRIBE_SALT = "events.clash-notifications"  # what links in sent emails carry


def _migrate(targets):
    """Migrate to `targets` (an app at None: unapplied) and give the models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1]]).apps


def _before_the_move(leaf):
    """Events before the move, no clashes app, and every other app at its latest migration
    that does not need a later events migration or the clashes app (apps added since, such as
    coalitions and mailing lists, depend on later events migrations)."""
    graph = MigrationExecutor(connection).loader.graph
    after_the_move = {
        node
        for node in graph.nodes
        if node[0] == "clashes"
        or (node[0] == "events" and node not in graph.forwards_plan(BEFORE_EVENTS))
    }
    targets = [BEFORE_EVENTS, ("clashes", None)]
    for app, name in leaf:
        if app in {"events", "clashes"}:
            continue
        chain = [node for node in graph.forwards_plan((app, name)) if node[0] == app]
        fitting = [node for node in chain if after_the_move.isdisjoint(graph.forwards_plan(node))]
        targets.append(fitting[-1] if fitting else (app, None))
    return targets


@pytest.mark.django_db(transaction=True)
def test_clashes_emails_preferences_and_content_types_survive_the_move():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    group_a, group_b = GroupFactory(), GroupFactory()
    organiser = UserFactory(name="Olive Organiser")
    old = _migrate(_before_the_move(leaf))
    try:
        Event = old.get_model("events", "Event")
        OldClash = old.get_model("events", "Clash")
        OldNotification = old.get_model("events", "ClashNotification")
        OldPreference = old.get_model("events", "NotificationPreference")
        OldRule = old.get_model("events", "ClashRule")
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission = old.get_model("auth", "Permission")
        LogEntry = old.get_model("admin", "LogEntry")
        start = timezone.now() + timedelta(days=5)
        first, second = (
            Event.objects.create(
                group_id=group.pk,
                title=f"Event of {group.name}",
                kind="street_stall",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
            )
            for group in (group_a, group_b)
        )
        clash = OldClash.objects.create(
            event_a_id=first.pk,
            event_b_id=second.pk,
            status="acknowledged",
            distance_km=1.5,
            decided_by_id=organiser.pk,
        )
        notification = OldNotification.objects.create(
            clash=clash, recipient_id=organiser.pk, status="sent", sent_at=timezone.now()
        )
        OldPreference.objects.create(user_id=organiser.pk, clash_emails="digest")
        rule = OldRule.objects.create(
            name="Before the move", side_a_kinds=["pro_eu"], side_b_kinds=["party_branch"]
        )
        content_type, _ = ContentType.objects.get_or_create(app_label="events", model="clash")
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename="change_clash", defaults={"name": "Can change"}
        )
        log = LogEntry.objects.create(
            user_id=organiser.pk,
            content_type=content_type,
            object_id=str(clash.pk),
            object_repr="Clash",
            action_flag=2,
            change_message="[]",
            action_time=timezone.now(),
        )
    finally:
        new = _migrate(leaf)

    moved = Clash.objects.get(pk=clash.pk)
    assert (moved.event_a_id, moved.event_b_id) == (first.pk, second.pk)
    assert (moved.status, moved.distance_km, moved.decided_by_id) == (
        "acknowledged",
        1.5,
        organiser.pk,
    )
    assert ClashNotification.objects.get(pk=notification.pk).status == "sent"
    assert ClashNotification.objects.get(pk=notification.pk).clash_id == clash.pk
    assert NotificationPreference.objects.get(user=organiser).clash_emails == "digest"
    assert ClashRule.objects.get(pk=rule.pk).side_a_kinds == ["pro_eu"]
    # The same content type row, relabelled: permissions and admin history point at it.
    NewContentType = new.get_model("contenttypes", "ContentType")
    relabelled = NewContentType.objects.get(pk=content_type.pk)
    assert (relabelled.app_label, relabelled.model) == ("clashes", "clash")
    assert not NewContentType.objects.filter(app_label="events", model="clash").exists()
    assert new.get_model("auth", "Permission").objects.get(pk=permission.pk).content_type_id == (
        content_type.pk
    )
    assert new.get_model("admin", "LogEntry").objects.get(pk=log.pk).content_type_id == (
        content_type.pk
    )
    # The tables were not recreated: still the names they had in the events app.
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert {"events_clash", "events_clashnotification"} <= set(tables)
    assert not {"clashes_clash", "clashes_clashnotification"} & set(tables)


@pytest.mark.django_db
def test_an_unsubscribe_link_signed_before_the_move_still_works(client):
    user = UserFactory()
    token = signing.dumps({"u": user.pk}, salt=OLD_UNSUBSCRIBE_SALT)
    link = f"/events/clashes/unsubscribe/{token}/"
    assert client.get(link).status_code == 200
    response = client.post(link, {"clash_emails": "off"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=user).clash_emails == "off"


def test_tasks_keep_the_names_queued_messages_and_beat_carry(settings):
    from alliance.celery import app
    from clashes import tasks

    app.loader.import_default_modules()
    for task in (
        tasks.event_clashes_check_task,
        tasks.events_clashes_check_task,
        tasks.clashes_sweep_task,
        tasks.clash_notifications_deliver_task,
        tasks.clash_digest_send_task,
    ):
        old_name = f"events.clash_tasks.{task.__name__}"
        assert task.name == old_name
        assert app.tasks[old_name].__module__ == "clashes.tasks"
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
