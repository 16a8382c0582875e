"""Admin of the events app."""

# Importing registers them: the clash models, and events, RSVPs, series and imported feeds.
from events import clash_admin, event_admin  # noqa: F401
