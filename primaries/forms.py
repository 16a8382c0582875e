from django import forms
from django.core.exceptions import ValidationError

from alliance.forms import LabelledChoicesMixin
from alliance.images import image_prepare
from events.forms import DATETIME_FORMAT, LocalDateTimeInput
from groups.models import Party
from primaries.models import Candidate, CountingMethod, Electorate, Primary


def _local_datetime(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=LocalDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
    )


class RulesForm(LabelledChoicesMixin, forms.Form):
    electorate = forms.ChoiceField(
        choices=Electorate.choices,
        widget=forms.RadioSelect,
        initial=Electorate.RESIDENTS,
        label="Who may vote",
        help_text="Membership is self-declared: voters tick a box saying they are a member; "
        "nobody checks party membership lists.",
    )
    counting_method = forms.ChoiceField(
        choices=CountingMethod.choices,
        widget=forms.RadioSelect,
        initial=CountingMethod.INSTANT_RUNOFF,
        label="How votes are counted",
    )
    registration_opens_at = _local_datetime("Registration opens (UK time)")
    registration_closes_at = _local_datetime("Registration closes (UK time)")
    voting_opens_at = _local_datetime("Voting opens (UK time)")
    voting_closes_at = _local_datetime("Voting closes (UK time)")

    @classmethod
    def for_primary(cls, primary: Primary, data=None) -> "RulesForm":
        fields = ["electorate", "counting_method", "registration_opens_at"]
        fields += ["registration_closes_at", "voting_opens_at", "voting_closes_at"]
        return cls(data, initial={f: getattr(primary, f) for f in fields}, prefix="rules")


class PartyChoiceForm(LabelledChoicesMixin, forms.Form):
    party = forms.ModelChoiceField(queryset=Party.objects.none(), label="For the party")

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties


class CandidateForm(PartyChoiceForm):
    name = forms.CharField(max_length=120, label="Candidate's name")
    statement = forms.CharField(
        max_length=3000, widget=forms.Textarea(attrs={"rows": 5}), label="Statement"
    )
    red_lines = forms.CharField(
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Your party's red lines (public)",
    )
    photo = forms.FileField(
        required=False,
        label="Photo (optional: PNG, JPEG, GIF or WebP, at most 2 MB)",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )

    def clean_photo(self):
        """Decoded, checked and re-encoded here (alliance/images.py): a bad file is refused
        with the form as typed and the candidate unchanged."""
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            return image_prepare(upload, field="photo")
        except ValidationError as error:
            raise ValidationError(error.message_dict["photo"]) from error


class PostcodeForm(LabelledChoicesMixin, forms.Form):
    postcode = forms.CharField(max_length=12, label="Your postcode")


class RegisterForm(LabelledChoicesMixin, forms.Form):
    email = forms.EmailField(max_length=254, label="Your email address")
    postcode = forms.CharField(max_length=12, label="Your postcode")
    declared_member = forms.BooleanField(
        required=False,
        label="I am a member of one of the parties taking part",
    )

    def __init__(self, *args, members_only: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not members_only:
            del self.fields["declared_member"]


class ReviewForm(LabelledChoicesMixin, forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("strike", "Strike off")], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Reason (recorded; required to strike off)",
        help_text="Recorded in the primary's history, which every party can read.",
    )


class BallotForm(LabelledChoicesMixin, forms.Form):
    """One preference number per candidate (instant runoff), or one choice (plurality)."""

    def __init__(self, *args, candidates: list[Candidate], ranked: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.ranked = ranked
        if ranked:
            numbers = [("", "—")] + [(str(i), str(i)) for i in range(1, len(candidates) + 1)]
            for candidate in candidates:
                self.fields[f"rank_{candidate.pk}"] = forms.TypedChoiceField(
                    choices=numbers,
                    coerce=int,
                    empty_value=None,
                    required=False,
                    label=f"{candidate.name} ({candidate.party.name})",
                )
        else:
            self.fields["choice"] = forms.TypedChoiceField(
                choices=[(str(c.pk), f"{c.name} ({c.party.name})") for c in candidates],
                coerce=int,
                widget=forms.RadioSelect,
                label="Your choice",
            )

    def clean(self):
        data = super().clean()
        if not self.ranked:
            return data
        ranks = {c.pk: data.get(f"rank_{c.pk}") for c in self.candidates}
        given = [r for r in ranks.values() if r is not None]
        if not given:
            raise forms.ValidationError("Put a 1 next to your first choice.")
        if len(set(given)) != len(given):
            raise forms.ValidationError("Use each number once.")
        if sorted(given) != list(range(1, len(given) + 1)):
            raise forms.ValidationError("Number your choices 1, 2, 3… without gaps.")
        return data

    def ranking(self) -> list[int]:
        if not self.ranked:
            return [self.cleaned_data["choice"]]
        ranks = {c.pk: self.cleaned_data.get(f"rank_{c.pk}") for c in self.candidates}
        return [pk for pk, r in sorted(ranks.items(), key=lambda kv: kv[1] or 0) if r is not None]


class ReceiptForm(LabelledChoicesMixin, forms.Form):
    code = forms.CharField(max_length=40, label="Your receipt code")
