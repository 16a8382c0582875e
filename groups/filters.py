import django_filters
from django import forms

from alliance.forms import searchable
from events.filters import FastSelect
from groups.models import Group, GroupKind, Party
from seats.models import Constituency
from seats.regions import Region


class GroupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    # Every select is one string join, not a template per option (as the calendar's): the
    # stock widgets cost more than the page's queries.
    kind = django_filters.ChoiceFilter(
        choices=GroupKind.choices, empty_label="Any kind", widget=FastSelect
    )
    party = django_filters.ModelChoiceFilter(
        queryset=Party.objects.only("pk", "slug", "name"),
        field_name="party",
        to_field_name="slug",
        empty_label="Any party",
        widget=FastSelect,
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices, empty_label="Anywhere", widget=FastSelect
    )
    constituency = django_filters.ModelChoiceFilter(
        queryset=Constituency.objects.current().only("pk", "name"),
        field_name="constituencies",
        empty_label="Any constituency",
        label="Constituency",
        # 650+ options: one string join, not a template per option (as the calendar's).
        widget=FastSelect(attrs=searchable(placeholder="Type a seat's name")),
    )

    class Meta:
        model = Group
        fields = ["q", "kind", "party", "region", "constituency"]
        form = forms.Form

    @property
    def has_choices(self) -> bool:
        """True when a filter other than the free text is in use (the page opens them)."""
        return any(self.data.get(name) for name in ("kind", "party", "region", "constituency"))

    def filter_text(self, queryset, name, value):
        return queryset.search(value.strip())
