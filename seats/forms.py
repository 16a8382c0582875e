import re

from django import forms

from alliance.forms import LabelledChoicesMixin, SearchableSelect
from groups.models import Group, Party
from seats.models import Agreement, Arrangement, Constituency, Election, ElectionKind
from seats.party_codes import DEFAULT_BLOC
from seats.postcodes import (
    InvalidPostcode,
    PostcodeLookupUnavailable,
    postcode_locate,
    postcode_normalise,
)

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,40}")


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


DISTANCE_CHOICES = [(1, "1 mile"), (5, "5 miles"), (10, "10 miles"), (25, "25 miles"),
                    (50, "50 miles")]  # fmt: skip
DEFAULT_DISTANCE = 10


class NearForm(forms.Form):
    """ "Near me": a postcode and how far, placed by the postcode lookup. Valid and empty
    when no postcode is given (the page lists as usual); `point` is set when it is placed."""

    postcode = PostcodeField(label="Your postcode")
    distance = forms.TypedChoiceField(
        label="Within",
        choices=DISTANCE_CHOICES,
        coerce=int,
        required=False,
        empty_value=DEFAULT_DISTANCE,
        initial=DEFAULT_DISTANCE,
    )

    point = None

    def clean(self):
        from seats.distance import Point

        data = super().clean()
        if not data.get("postcode"):
            return data
        try:
            place = postcode_locate(data["postcode"])
        except PostcodeLookupUnavailable:
            raise forms.ValidationError(
                "We cannot look up postcodes just now: try again in a few minutes."
            ) from None
        if place is None or place.latitude is None or place.longitude is None:
            raise forms.ValidationError("We do not know where this postcode is.")
        self.point = Point(place.latitude, place.longitude)
        return data

    @property
    def miles(self) -> int:
        return self.cleaned_data.get("distance") or DEFAULT_DISTANCE


class SearchableSeatSelect(SearchableSelect):
    """A seat picker (650 seats a boundary set): type part of the seat's name."""

    placeholder = "Type a seat's name"


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
        widget=SearchableSeatSelect,
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
        widget=SearchableSeatSelect,
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


class PackageForm(LabelledChoicesMixin, forms.Form):
    """A package bundles live agreements of one election that the proposer's party is in and
    that are in no other package."""

    election = forms.ModelChoiceField(
        queryset=Election.objects.all(), to_field_name="slug", empty_label="Choose an election"
    )
    name = forms.CharField(max_length=120, help_text="E.g. “South West coast, 2029”.")
    agreements = forms.ModelMultipleChoiceField(
        queryset=Agreement.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Seats in the package",
        help_text="Agreements your party is in for this election, not yet in a package. "
        "Changed the election? Submit once and the list follows it.",
    )

    def __init__(self, *args, party_ids, **kwargs):
        super().__init__(*args, **kwargs)
        slug = (self.data.get("election") if self.is_bound else None) or self.initial.get(
            "election"
        )
        slug = str(slug or "")
        election = Election.objects.filter(slug=slug).first() if SLUG.fullmatch(slug) else None
        self.election_shown = election
        if election is not None:
            self.fields["agreements"].queryset = (
                Agreement.objects.live()
                .filter(election=election, package__isnull=True)
                .involving(party_ids)
                .select_related("constituency")
                .prefetch_related("parties__party")
                .order_by("constituency__name", "pk")
            )
        self.fields["agreements"].label_from_instance = _agreement_label


def _agreement_label(agreement) -> str:
    roles = ", ".join(
        f"{link.party.short_name} {link.get_role_display().lower()}"
        for link in agreement.parties.all()
    )
    return f"{agreement.constituency.name}: {roles}"


class PackageSeatForm(LabelledChoicesMixin, forms.Form):
    agreement = forms.ModelChoiceField(queryset=Agreement.objects.none(), label="Seat")

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements
        self.fields["agreement"].label_from_instance = _agreement_label


class PackageCommentForm(LabelledChoicesMixin, forms.Form):
    group = forms.ModelChoiceField(queryset=Group.objects.none(), label="Commenting for")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Comment"
    )
    endorses = forms.BooleanField(required=False, label="Our group endorses this package")

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class ReciprocityForm(LabelledChoicesMixin, forms.Form):
    """Read the ledger for one election, one region or one (agreed) package."""

    election = forms.ModelChoiceField(
        queryset=Election.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Every election",
    )
    region = forms.ChoiceField(required=False)
    package = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every package and seat"
    )

    def __init__(self, *args, **kwargs):
        from seats.models import AgreementPackage, PackageStatus
        from seats.regions import Region

        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "Every region and nation"), *Region.choices]
        # Only agreed packages are public: a package under negotiation is not named here.
        self.fields["package"].queryset = AgreementPackage.objects.filter(
            status=PackageStatus.AGREED
        ).order_by("name", "pk")
