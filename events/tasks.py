"""Celery tasks of the events app. Celery discovers this module; clash tasks live beside it."""

from events.clash_tasks import event_clashes_check_task  # noqa: F401 - registers the task
