import django_filters
from django import forms

from groups.models import Party
from seats.models import Contest, Election
from seats.regions import Nation, Region

ORDERINGS = {
    "score": "Target score (best targets first)",
    "name": "Name",
    "majority": "Majority (smallest first)",
    "bloc_share": "Bloc share (largest first)",
    "transfer": "Transfer needed (smallest first)",
}
COLOURS = {
    "winner": "Winner",
    "best": "Best-placed progressive party",
    "pml": "Progressive majority lost",
}


def _noop(queryset, name, value):
    """Applied after the analysis, in TargetFilter.filter_rows."""
    return queryset


class TargetFilter(django_filters.FilterSet):
    """DB filters narrow the contests; bloc, flags, margin and best-placed need the analysis."""

    election = django_filters.ModelChoiceFilter(
        queryset=Election.objects.filter(contests__isnull=False).distinct(),
        to_field_name="slug",
        empty_label=None,
        required=True,
    )
    bloc = django_filters.ModelMultipleChoiceFilter(
        queryset=Party.objects.filter(is_progressive=True),
        to_field_name="short_name",
        widget=forms.CheckboxSelectMultiple,
        method=_noop,
        label="Progressive bloc",
        help_text="None ticked: Lab, LD, Green, SNP, PC.",
    )
    nation = django_filters.ChoiceFilter(
        choices=Nation.choices,
        field_name="constituency__nation",
        empty_label="Any nation",
        label="Nation",
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices,
        field_name="constituency__region",
        empty_label="Any region",
        label="Region",
    )
    winner = django_filters.CharFilter(
        field_name="winner_code", lookup_expr="iexact", label="Winner (short name, e.g. Con)"
    )
    flag = django_filters.ChoiceFilter(
        choices=[
            ("pml", "Won by the Conservatives despite a progressive majority"),
            ("target", "Not held by the bloc"),
        ],
        method=_noop,
        empty_label="All seats",
        label="Show",
    )
    margin_min = django_filters.NumberFilter(
        method=_noop, label="Majority at least (% of votes)", min_value=0, max_value=100
    )
    margin_max = django_filters.NumberFilter(
        method=_noop, label="Majority at most (% of votes)", min_value=0, max_value=100
    )
    best = django_filters.CharFilter(method=_noop, label="Best-placed party (short name)")
    order = django_filters.ChoiceFilter(
        choices=list(ORDERINGS.items()), method=_noop, empty_label=None, label="Sort by"
    )

    class Meta:
        model = Contest
        fields = ["election", "bloc", "nation", "region", "winner"]
        form = forms.Form

    def bloc_codes(self) -> tuple[str, ...] | None:
        parties = self.form.cleaned_data.get("bloc") if self.is_valid() else None
        return tuple(sorted(p.short_name for p in parties)) if parties else None

    def filter_rows(self, rows: list) -> list:
        data = self.form.cleaned_data if self.is_valid() else {}
        flag = data.get("flag")
        if flag == "pml":
            rows = [r for r in rows if r.analysis.progressive_majority_lost]
        elif flag == "target":
            rows = [r for r in rows if not r.analysis.held_by_bloc]
        low, high = data.get("margin_min"), data.get("margin_max")
        if low is not None:
            rows = [r for r in rows if margin_percent(r.analysis) >= low]
        if high is not None:
            rows = [r for r in rows if margin_percent(r.analysis) <= high]
        if data.get("best"):
            best = data["best"].strip().lower()
            rows = [r for r in rows if (r.analysis.best_placed or "").lower() == best]
        return sort_rows(rows, data.get("order") or "score")


def margin_percent(analysis) -> float:
    return 100 * analysis.majority / analysis.total_votes if analysis.total_votes else 0.0


def sort_rows(rows: list, order: str) -> list:
    keys = {
        "name": lambda r: (r.constituency.name,),
        "majority": lambda r: (margin_percent(r.analysis), r.constituency.name),
        "bloc_share": lambda r: (-r.analysis.bloc_share, r.constituency.name),
        "transfer": lambda r: (
            r.analysis.transfer_share is None,
            r.analysis.transfer_share or 0,
            r.constituency.name,
        ),
        "score": lambda r: (
            r.analysis.target_score is None,
            -(r.analysis.target_score or 0),
            r.constituency.name,
        ),
    }
    return sorted(rows, key=keys.get(order, keys["score"]))
