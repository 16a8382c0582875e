from django.apps import AppConfig, apps


class ClashesConfig(AppConfig):
    name = "clashes"
    verbose_name = "Event clashes"

    def ready(self) -> None:
        # Hand the events app its seam (see events/apps.py): it calls clashes/api.py through it
        # without importing clashes.
        from clashes import api

        apps.get_app_config("events").clashes_api = api
