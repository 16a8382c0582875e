from django import forms

from alliance.forms import LabelledChoicesMixin
from groups.models import Party
from seats.models import Arrangement, Constituency, Election, ElectionKind
from seats.party_codes import DEFAULT_BLOC
from seats.postcodes import InvalidPostcode, postcode_normalise


def bloc_parties():
    """The parties that can be in a pact: those of the progressive bloc."""
    return Party.objects.filter(short_name__in=DEFAULT_BLOC).order_by("name")


class PostcodeField(forms.CharField):
    """An optional UK postcode, normalised ("sw1a1aa" becomes "SW1A 1AA"); a clear error if it
    is not one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        raw = super().clean(value).strip()
        if not raw:
            return ""
        try:
            return postcode_normalise(raw)
        except InvalidPostcode as error:
            raise forms.ValidationError(str(error))


class SearchableSeatSelect(forms.Select):
    """A plain <select> that static/js/seats.js turns into a type-to-search box."""

    def __init__(self, attrs=None):
        super().__init__(
            {"data-searchable": "", "data-placeholder": "Type a seat's name", **(attrs or {})}
        )


class AgreementForm(LabelledChoicesMixin, forms.Form):
    """The seat list holds only the seats on the chosen election's boundaries."""

    election = forms.ModelChoiceField(
        queryset=Election.objects.all(), to_field_name="slug", empty_label="Choose an election"
    )
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.none(),
        empty_label="Choose a seat",
        widget=SearchableSeatSelect,
        label="Seat",
        help_text="The seats on the election's boundaries. Changed the election? Submit once "
        "and the list follows it.",
    )
    arrangement = forms.ChoiceField(choices=Arrangement.choices)
    carries_hopes = forms.ModelChoiceField(
        queryset=bloc_parties(),
        label="Party that carries the alliance's hopes",
        empty_label="Choose a party",
    )
    stands_aside = forms.ModelMultipleChoiceField(
        queryset=bloc_parties(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Parties that stand aside",
    )
    endorses = forms.ModelMultipleChoiceField(
        queryset=bloc_parties(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Parties that endorse",
    )
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    red_lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("carries_hopes", "stands_aside", "endorses"):
            self.fields[name].queryset = bloc_parties()
        slug = self.data.get("election") if self.is_bound else None
        slug = slug or self.initial.get("election")
        election = Election.objects.filter(slug=str(slug)).first() if slug else None
        if isinstance(slug, Election):
            election = slug
        self.election_shown = election
        if election is not None:
            seats = Constituency.objects.filter(boundary_set=election.boundary_set)
            if election.by_election_seat_id is not None:
                seats = seats.filter(pk=election.by_election_seat_id)
            self.fields["constituency"].queryset = seats.order_by("name")

    def clean(self):
        data = super().clean()
        election, seat = data.get("election"), data.get("constituency")
        if election and seat and not election.covers(seat):
            self.add_error("constituency", "That seat is not on this election's boundaries.")
        return data


class AgreementTermsForm(LabelledChoicesMixin, forms.Form):
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    red_lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


class PartyActionForm(LabelledChoicesMixin, forms.Form):
    party = forms.ModelChoiceField(queryset=Party.objects.none())
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, parties, with_reason=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
        self.fields["party"].label = "For the party"
        if not with_reason:
            del self.fields["reason"]


class SwapRegistrationForm(LabelledChoicesMixin, forms.Form):
    preferred_party = forms.ModelChoiceField(
        queryset=Party.objects.filter(is_progressive=True),
        label="The party you would most like to vote for",
    )
    postcode = PostcodeField(help_text="Used only to find your constituency.")
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.current(),
        required=False,
        help_text="If we cannot find it from your postcode, choose it here.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("postcode") and not data.get("constituency") and not self.errors:
            raise forms.ValidationError("Give your postcode or choose your constituency.")
        return data


class ActivistForm(LabelledChoicesMixin, forms.Form):
    party = forms.ModelChoiceField(
        queryset=Party.objects.filter(is_progressive=True),
        to_field_name="short_name",
        label="Your party",
    )
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.current(),
        required=False,
        label="Where you are",
        help_text="Or give a postcode.",
    )
    postcode = PostcodeField()


class AdviceLookupForm(LabelledChoicesMixin, forms.Form):
    """ "How should I vote here?": a postcode, or (when it cannot be placed) the seat itself."""

    postcode = PostcodeField(label="Your postcode")
    seat = forms.ModelChoiceField(
        queryset=Constituency.objects.filter(boundary_set="2024").order_by("name"),
        to_field_name="ons_code",
        required=False,
        empty_label="Choose a seat",
        widget=SearchableSeatSelect,
        label="Or your constituency",
    )

    def clean(self):
        data = super().clean()
        if not data.get("postcode") and not data.get("seat") and not self.errors:
            raise forms.ValidationError("Enter your postcode, or choose your constituency.")
        return data


class AdviceAlertForm(LabelledChoicesMixin, forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Your email address",
        help_text="We email you once to confirm, then only when the advice for this seat changes.",
    )


class UpcomingElectionForm(LabelledChoicesMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (ElectionKind.GENERAL.value, ElectionKind.GENERAL.label),
            (ElectionKind.BY_ELECTION.value, ElectionKind.BY_ELECTION.label),
        ],
        widget=forms.RadioSelect,
        initial=ElectionKind.GENERAL.value,
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Polling day")
    name = forms.CharField(
        max_length=100, required=False, help_text="Leave blank for e.g. 'General election 2029'."
    )
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.filter(boundary_set="2024").order_by("name"),
        required=False,
        empty_label="Choose a seat",
        widget=SearchableSeatSelect,
        label="Seat (by-elections only)",
        help_text="On the 2024 boundaries.",
    )
