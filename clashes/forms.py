"""Forms and the filter of the clash pages."""

import django_filters
from django import forms

from clashes.models import Clash, ClashStatus, NotificationMode
from groups.models import Party
from seats.regions import Region


class ClashFilter(django_filters.FilterSet):
    region = django_filters.ChoiceFilter(
        choices=Region.choices, method="filter_region", empty_label="Any region"
    )
    party = django_filters.ModelChoiceFilter(
        queryset=Party.objects.all(), method="filter_party", empty_label="Any party"
    )
    status = django_filters.ChoiceFilter(choices=ClashStatus.choices, empty_label="Any status")

    class Meta:
        model = Clash
        fields = ["region", "party", "status"]

    def filter_region(self, queryset, name, value):
        return queryset.in_region(value)

    def filter_party(self, queryset, name, value):
        return queryset.of_party(value.pk)


class ClashMergeForm(forms.Form):
    keep = forms.TypedChoiceField(
        label="Keep this event as the joint event",
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Both groups co-organise the kept event; the other is cancelled and the "
        "people going are told.",
    )

    def __init__(self, *args, clash: Clash, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [
            (event.pk, f"{event.title} ({event.group.name})")
            for event in (clash.event_a, clash.event_b)
        ]


class NotificationPreferenceForm(forms.Form):
    clash_emails = forms.ChoiceField(
        label="Clash emails", choices=NotificationMode.choices, widget=forms.RadioSelect
    )
