"""`ip__net_contained_or_equal="10.0.0.0/8"`: PostgreSQL's inet `<<=` for bulk invalidation.

Registered on GenericIPAddressField by `PetitionsConfig.ready` (petitions/apps.py)."""

from django.db.models import Lookup


class NetContainedOrEqual(Lookup):
    lookup_name = "net_contained_or_equal"
    prepare_rhs = False  # a network, not an address: the field's own validation does not apply

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} <<= ({rhs})::inet", [*lhs_params, *rhs_params]
