"""Admin of the events app."""

from events import clash_admin  # noqa: F401 - registers the clash models
