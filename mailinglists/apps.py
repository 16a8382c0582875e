from django.apps import AppConfig


class MailinglistsConfig(AppConfig):
    name = "mailinglists"
    verbose_name = "Mailing lists"
