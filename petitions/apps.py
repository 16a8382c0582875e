from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "petitions"

    def ready(self) -> None:
        # `ip__net_contained_or_equal` (bulk invalidation by network, services/abuse.py).
        from django.db.models import GenericIPAddressField

        from petitions.lookups import NetContainedOrEqual

        GenericIPAddressField.register_lookup(NetContainedOrEqual)
