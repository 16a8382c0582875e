from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from alliance.forms import FieldsetsMixin, LabelledChoicesMixin, SearchableSelectMultiple
from conversations.models import (
    MAX_POST_CHARS,
    MAX_REASON_CHARS,
    Availability,
    EmailMode,
    Position,
    ScopeKind,
    Visibility,
)
from groups.models import Group, Party
from seats.forms import SearchableSeatSelect
from seats.models import Constituency
from seats.regions import Region


class ConversationForm(LabelledChoicesMixin, FieldsetsMixin, forms.Form):
    fieldsets = [
        ("What it is about", ["title", "scope_kind", "constituency", "region"]),
        ("Who takes part", ["groups", "parties", "include_members", "visibility"]),
        ("Your first message", ["body"]),
    ]
    title = forms.CharField(max_length=200)
    scope_kind = forms.ChoiceField(label="About", choices=ScopeKind.choices)
    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.all(),
        required=False,
        label="Seat",
        widget=SearchableSeatSelect,
    )
    region = forms.ChoiceField(choices=[("", "—"), *Region.choices], required=False)
    agreement = forms.IntegerField(required=False, widget=forms.HiddenInput)
    clash = forms.IntegerField(required=False, widget=forms.HiddenInput)
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.alphabetical(),
        required=False,
        label="Invite the organisers of these groups",
        widget=SearchableSelectMultiple(attrs={"size": 6}),
    )
    parties = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
        required=False,
        label="Invite the staff of these parties",
        widget=forms.CheckboxSelectMultiple,
    )
    include_members = forms.BooleanField(required=False, label="Also invite those groups' members")
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PRIVATE)
    body = forms.CharField(
        label="First message", max_length=MAX_POST_CHARS, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Both boundary sets are listed (a conversation may be about a 2019 seat): the same
        # name can appear twice, so each seat says which boundaries it is on.
        self.fields["constituency"].label_from_instance = _seat_with_boundaries


def _seat_with_boundaries(seat: Constituency) -> str:
    return f"{seat.name} ({seat.get_boundary_set_display()})"


class InviteForm(LabelledChoicesMixin, forms.Form):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.alphabetical(),
        required=False,
        label="Organisers of these groups",
        widget=SearchableSelectMultiple(attrs={"size": 6}),
    )
    parties = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
        required=False,
        label="Staff of these parties",
        widget=forms.CheckboxSelectMultiple,
    )
    include_members = forms.BooleanField(required=False, label="Also their groups' members")

    def clean(self):
        data = super().clean()
        if not data.get("groups") and not data.get("parties"):
            raise forms.ValidationError("Choose at least one group or party.")
        return data


class PostForm(LabelledChoicesMixin, forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=MAX_POST_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )


class EmailModeForm(LabelledChoicesMixin, forms.Form):
    email_mode = forms.ChoiceField(
        label="Emails from this conversation", choices=EmailMode.choices, widget=forms.RadioSelect
    )


class ProposalForm(LabelledChoicesMixin, forms.Form):
    statement = forms.CharField(max_length=500, label="What do you propose?")
    details = forms.CharField(
        required=False, max_length=MAX_POST_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text="Answers can change until then.",
    )

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError("The deadline must be in the future.")
        return deadline


def _when_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
        **kwargs,
    )


POLL_OPTION_FIELDS = 6
RANKED_OPTION_FIELDS = 10


class TimePollForm(forms.Form):
    """ "When shall we meet?": a question, a deadline and up to six times to choose from."""

    statement = forms.CharField(
        max_length=500, label="What is the meeting?", initial="When shall we meet?"
    )
    details = forms.CharField(
        required=False, max_length=MAX_POST_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = _when_field(help_text="Answers can change until then.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, POLL_OPTION_FIELDS + 1):
            self.fields[f"option_{n}"] = _when_field(
                required=n <= 2, label=f"Time {n}" + ("" if n <= 2 else " (optional)")
            )

    def clean(self):
        data = super().clean()
        deadline = data.get("deadline")
        if deadline and deadline <= timezone.now():
            self.add_error("deadline", "The deadline must be in the future.")
        data["options"] = [
            data[f"option_{n}"] for n in range(1, POLL_OPTION_FIELDS + 1) if data.get(f"option_{n}")
        ]
        return data


class PollVoteForm(forms.Form):
    """One yes / if need be / no per time offered (fields `option-<id>`)."""

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = list(options)
        for option in self.options:
            self.fields[f"option-{option.pk}"] = forms.ChoiceField(
                label=date_format(timezone.localtime(option.starts_at), "D j M Y, H:i"),
                choices=Availability.choices,
                widget=forms.RadioSelect,
            )

    def votes(self) -> dict[int, str]:
        return {option.pk: self.cleaned_data[f"option-{option.pk}"] for option in self.options}


class RankedPollForm(forms.Form):
    """A ranked-choice poll: a question, a deadline and two to ten options to rank."""

    statement = forms.CharField(max_length=500, label="What is the question?")
    details = forms.CharField(
        required=False, max_length=MAX_POST_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = _when_field(help_text="Rankings can change until then.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, RANKED_OPTION_FIELDS + 1):
            self.fields[f"option_{n}"] = forms.CharField(
                required=n <= 2,
                max_length=200,
                label=f"Option {n}" + ("" if n <= 2 else " (optional)"),
            )

    def clean(self):
        data = super().clean()
        deadline = data.get("deadline")
        if deadline and deadline <= timezone.now():
            self.add_error("deadline", "The deadline must be in the future.")
        data["ranked_options"] = [
            data[f"option_{n}"]
            for n in range(1, RANKED_OPTION_FIELDS + 1)
            if data.get(f"option_{n}")
        ]
        return data


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class RankingForm(forms.Form):
    """One rank select per option (fields `rank-<id>`): 1 for the first choice, ..., n for
    the last, each rank used once. Works without JavaScript."""

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = list(options)
        ranks = [(str(n), f"{_ordinal(n)} choice") for n in range(1, len(self.options) + 1)]
        for option in self.options:
            self.fields[f"rank-{option.pk}"] = forms.TypedChoiceField(
                label=option.label,
                choices=[("", "Choose a rank"), *ranks],
                coerce=int,
            )

    def clean(self):
        data = super().clean()
        given = [data.get(f"rank-{option.pk}") for option in self.options]
        if None not in given and sorted(given) != list(range(1, len(self.options) + 1)):
            raise forms.ValidationError(
                "Use each rank once: 1st choice for one option, 2nd for another, and so on."
            )
        return data

    def ranking(self) -> list[int]:
        """Option ids, best first."""
        return sorted(
            (option.pk for option in self.options),
            key=lambda pk: self.cleaned_data[f"rank-{pk}"],
        )


class AnswerForm(LabelledChoicesMixin, forms.Form):
    position = forms.ChoiceField(choices=Position.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        max_length=MAX_REASON_CHARS, widget=forms.Textarea(attrs={"rows": 2}), label="Your reason"
    )


class OutcomeForm(LabelledChoicesMixin, forms.Form):
    outcome = forms.CharField(
        max_length=MAX_POST_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Every participant is emailed it.",
    )


class DigestForm(LabelledChoicesMixin, forms.Form):
    weekly = forms.BooleanField(required=False, label="Send me the weekly digest")


class NameForm(LabelledChoicesMixin, forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
