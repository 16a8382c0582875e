from django.apps import AppConfig
from django.db.models.signals import post_migrate


def site_sync_from_settings(**kwargs) -> None:
    """Name django.contrib.sites' row after SITE_URL / SITE_NAME (it starts as example.com), so
    anything reading the Site (the admin's "view on site", allauth's fallbacks) agrees with the
    links in emails. Runs after every migrate, which every deploy and `make run` does."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    from alliance.links import site_domain

    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": site_domain(), "name": settings.SITE_NAME}
    )


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        post_migrate.connect(site_sync_from_settings, sender=self)
