import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe

from alliance.forms import searchable
from events.models import Event, EventKind
from groups.models import Group, GroupKind, Party
from seats.models import Constituency
from seats.regions import Region


class FastSelect(forms.Select):
    """A <select> rendered by one string join instead of one template per <option>.

    The calendar's filter form lists every constituency (650+) and group on every page: with
    Django's per-option templates that alone cost more than the calendar's queries.
    Labels and values are escaped exactly as the stock widget escapes them.
    """

    def _option_pairs(self):
        """(value, label) pairs. For a model choice field, read as plain tuples
        (`values_list` of the field's key and the model's `name`, which is what these
        models print as): 10,000 groups are then 10,000 tuples, not 10,000 model instances."""
        choices = self.choices
        queryset = getattr(choices, "queryset", None)
        if queryset is None:
            return choices
        field = choices.field
        pairs = [("", field.empty_label)] if field.empty_label is not None else []
        return pairs + list(queryset.values_list(field.to_field_name or "pk", "name"))

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        values = value if isinstance(value, list | tuple) else [value]
        chosen = {str(v) for v in values if v not in (None, "")}
        options = []
        for option_value, option_label in self._option_pairs():
            text = "" if option_value is None else str(option_value)
            selected = " selected" if text in chosen or (not chosen and text == "") else ""
            options.append(
                f'<option value="{escape(text)}"{selected}>{escape(option_label)}</option>'
            )
        return mark_safe(f"<select{flatatt(final_attrs)}>{''.join(options)}</select>")  # noqa: S308


# Query-string keys that belong to the calendar views, not to the filters.
VIEW_KEYS = {"month", "week", "date", "page"}


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    party = django_filters.ModelChoiceFilter(
        queryset=Party.objects.only("pk", "slug", "name"),
        field_name="group__party",
        label="Party",
        to_field_name="slug",
        empty_label="Any party",
        widget=FastSelect,
    )
    # A group's calendar: its own events, those it co-hosts and those it promotes.
    group = django_filters.ModelChoiceFilter(
        queryset=Group.objects.only("pk", "slug", "name"),
        method="filter_group",
        to_field_name="slug",
        empty_label="Any group",
        widget=FastSelect(attrs=searchable(placeholder="Type a group's name")),
    )
    group_kind = django_filters.ChoiceFilter(
        choices=GroupKind.choices,
        field_name="group__kind",
        empty_label="Any kind of group",
        label="Group kind",
        widget=FastSelect,
    )
    kind = django_filters.ChoiceFilter(
        choices=EventKind.choices,
        empty_label="Any kind of event",
        label="Event kind",
        widget=FastSelect,
    )
    constituency = django_filters.ModelChoiceFilter(
        queryset=Constituency.objects.current().only("pk", "name"),
        field_name="constituency",
        empty_label="Any constituency",
        widget=FastSelect(attrs=searchable(placeholder="Type a seat's name")),
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices,
        method="filter_region",
        empty_label="Anywhere",
        label="Region",
        widget=FastSelect,
    )
    after = django_filters.DateFilter(
        field_name="ends_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    before = django_filters.DateFilter(
        field_name="starts_at",
        lookup_expr="date__lte",
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Only my groups", widget=forms.CheckboxInput
    )

    class Meta:
        model = Event
        fields = ["q", "party", "group", "group_kind", "kind", "constituency", "region"]
        form = forms.Form

    def filter_text(self, queryset, name, value):
        return queryset.search(value.strip())

    def filter_group(self, queryset, name, value):
        return queryset.in_calendar_of([value.pk])

    def filter_region(self, queryset, name, value):
        return queryset.in_region(value)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        if user is None:
            return queryset.none()
        return queryset.in_groups_of(user)


def filter_querystring(get) -> str:
    """The filters of a request as a query string, without the view's own keys."""
    params = get.copy()
    for key in VIEW_KEYS:
        params.pop(key, None)
    for key in [key for key, values in params.lists() if not any(values)]:
        params.pop(key)
    return params.urlencode()
