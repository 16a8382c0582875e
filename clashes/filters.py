"""The filter of the clash list: region, party, status."""

import django_filters

from clashes.models import Clash, ClashStatus
from groups.models import Party
from seats.regions import Region


class ClashFilter(django_filters.FilterSet):
    region = django_filters.ChoiceFilter(
        choices=Region.choices, method="filter_region", empty_label="Any region", label="Region"
    )
    party = django_filters.ModelChoiceFilter(
        queryset=Party.objects.all(),
        method="filter_party",
        empty_label="Any party",
        label="Party",
    )
    status = django_filters.ChoiceFilter(
        choices=ClashStatus.choices, empty_label="Any status", label="Status"
    )

    class Meta:
        model = Clash
        fields = ["region", "party", "status"]

    def filter_region(self, queryset, name, value):
        return queryset.in_region(value)

    def filter_party(self, queryset, name, value):
        return queryset.of_party(value.pk)
