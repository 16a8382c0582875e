from django.apps import AppConfig


class ClashesConfig(AppConfig):
    name = "clashes"
    verbose_name = "Event clashes"
