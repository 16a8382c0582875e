from django import forms

from groups.models import Party
from seats.models import Arrangement, Constituency, Election
from seats.postcodes import InvalidPostcode, postcode_normalise


class AgreementForm(forms.Form):
    election = forms.ModelChoiceField(queryset=Election.objects.all(), to_field_name="slug")
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.order_by("name", "boundary_set"),
        help_text="On the election's boundaries.",
    )
    arrangement = forms.ChoiceField(choices=Arrangement.choices)
    carries_hopes = forms.ModelChoiceField(
        queryset=Party.objects.all(), label="Party that carries the alliance's hopes"
    )
    stands_aside = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Parties that stand aside",
    )
    endorses = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
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
        self.fields["constituency"].label_from_instance = lambda seat: (
            f"{seat.name} ({seat.get_boundary_set_display()})"
        )


class AgreementTermsForm(forms.Form):
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    red_lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


class PartyActionForm(forms.Form):
    party = forms.ModelChoiceField(queryset=Party.objects.none())
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, parties, with_reason=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
        self.fields["party"].label = "For the party"
        if not with_reason:
            del self.fields["reason"]


class SwapRegistrationForm(forms.Form):
    preferred_party = forms.ModelChoiceField(
        queryset=Party.objects.filter(is_progressive=True),
        label="The party you would most like to vote for",
    )
    postcode = forms.CharField(
        max_length=10, required=False, help_text="Used only to find your constituency."
    )
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.current(),
        required=False,
        help_text="If we cannot find it from your postcode, choose it here.",
    )

    def clean_postcode(self):
        raw = self.cleaned_data["postcode"].strip()
        if not raw:
            return ""
        try:
            return postcode_normalise(raw)
        except InvalidPostcode as error:
            raise forms.ValidationError(str(error))

    def clean(self):
        data = super().clean()
        if not data.get("postcode") and not data.get("constituency") and not self.errors:
            raise forms.ValidationError("Give your postcode or choose your constituency.")
        return data


class ActivistForm(forms.Form):
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
    postcode = forms.CharField(max_length=10, required=False)

    def clean_postcode(self):
        raw = self.cleaned_data["postcode"].strip()
        if not raw:
            return ""
        try:
            return postcode_normalise(raw)
        except InvalidPostcode as error:
            raise forms.ValidationError(str(error))


class AdviceLookupForm(forms.Form):
    """ "How should I vote here?": a postcode, or (when it cannot be placed) the seat itself."""

    postcode = forms.CharField(max_length=10, required=False, label="Your postcode")
    seat = forms.ModelChoiceField(
        queryset=Constituency.objects.filter(boundary_set="2024").order_by("name"),
        to_field_name="ons_code",
        required=False,
        empty_label="Choose a seat",
        label="Or your constituency",
    )

    def clean_postcode(self):
        raw = self.cleaned_data["postcode"].strip()
        if not raw:
            return ""
        try:
            return postcode_normalise(raw)
        except InvalidPostcode as error:
            raise forms.ValidationError(str(error))

    def clean(self):
        data = super().clean()
        if not data.get("postcode") and not data.get("seat") and not self.errors:
            raise forms.ValidationError("Enter your postcode, or choose your constituency.")
        return data


class AdviceAlertForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Your email address",
        help_text="We email you once to confirm, then only when the advice for this seat changes.",
    )
