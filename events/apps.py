from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    # The seam to clash detection: the clashes app puts its api module here in its ready()
    # (clashes/apps.py), because clashes depends on events and events never imports clashes.
    # Read only by services.clash_check_queue and EventQuerySet.with_open_clash_count; None
    # when the clashes app is not installed (no checks, no clash counts).
    clashes_api = None


def clashes_api():
    """The clashes app's api module (clashes/api.py), or None when it is not installed."""
    from django.apps import apps

    return apps.get_app_config("events").clashes_api
