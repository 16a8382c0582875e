from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "petitions"

    def ready(self) -> None:
        from petitions import lookups  # noqa: F401 - registers the inet lookup
