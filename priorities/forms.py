from datetime import timedelta

from django import forms
from django.utils import timezone

from alliance.forms import LabelledChoicesMixin
from groups.models import Group, Party
from priorities.codes import LENGTH, code_clean
from priorities.models import CLUSTER_NAME_MAX_LENGTH, NOTE_MAX_LENGTH, Cluster, Note


class RoundForm(LabelledChoicesMixin, forms.Form):
    title = forms.CharField(max_length=120, initial="What matters most to you?")
    event = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Not at an event",
        help_text="The meeting this round takes place at, if any.",
    )  # fmt: skip
    linked_groups = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Groups you are linked with that take part too.",
    )  # fmt: skip
    notes_per_participant = forms.IntegerField(min_value=1, max_value=10, initial=2)
    dots_per_participant = forms.IntegerField(min_value=1, max_value=20, initial=3)
    participants_may_cluster = forms.BooleanField(
        required=False, label="Participants may arrange notes into clusters too"
    )

    def __init__(self, *args, group: Group, **kwargs):
        from events.models import Event

        super().__init__(*args, **kwargs)
        linked = Group.objects.linked_to(group)
        self.fields["linked_groups"].queryset = linked.order_by("name")
        # Today's meeting or a coming one, of this group or a linked one.
        self.fields["event"].queryset = (
            Event.objects.filter(
                group__in=[group, *linked], ends_at__gte=timezone.now() - timedelta(days=1)
            )
            .scheduled()
            .order_by("starts_at")
        )


class JoinCodeForm(LabelledChoicesMixin, forms.Form):
    code = forms.CharField(label="Code shown on the screen", max_length=LENGTH * 2)

    def clean_code(self):
        return code_clean(self.cleaned_data["code"])


class JoinForm(LabelledChoicesMixin, forms.Form):
    name = forms.CharField(max_length=60, label="Your name")
    party = forms.ModelChoiceField(
        queryset=Party.objects.order_by("name"), required=False,
        empty_label="I'd rather not say / no party", label="Your party (optional)",
    )  # fmt: skip
    agreed_to_be_named = forms.BooleanField(
        required=False,
        label="Show my name beside my notes in the results",
        help_text="Otherwise your notes and party are only ever shown as counts.",
    )


class NoteForm(LabelledChoicesMixin, forms.Form):
    text = forms.CharField(
        max_length=NOTE_MAX_LENGTH, label="An issue that matters to you",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip


class _RoundChoiceForm(LabelledChoicesMixin, forms.Form):
    """Choices limited to one round's notes and clusters: ids from elsewhere are invalid."""

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.filter(round=round_)
                field.label_from_instance = lambda obj: str(obj)[:60]


class ClusterCreateForm(_RoundChoiceForm):
    name = forms.CharField(max_length=CLUSTER_NAME_MAX_LENGTH, label="New cluster")
    notes = forms.ModelMultipleChoiceField(
        queryset=Note.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )


class MoveForm(_RoundChoiceForm):
    note = forms.ModelChoiceField(queryset=Note.objects.all(), label="Note")
    cluster = forms.ModelChoiceField(
        queryset=Cluster.objects.all(), required=False, empty_label="(unplaced)", label="to cluster"
    )


class MergeForm(_RoundChoiceForm):
    source = forms.ModelChoiceField(queryset=Cluster.objects.all(), label="Merge")
    target = forms.ModelChoiceField(queryset=Cluster.objects.all(), label="into")


class SplitForm(_RoundChoiceForm):
    cluster = forms.ModelChoiceField(queryset=Cluster.objects.all(), widget=forms.HiddenInput)
    notes = forms.ModelMultipleChoiceField(queryset=Note.objects.all())
    name = forms.CharField(max_length=CLUSTER_NAME_MAX_LENGTH, label="New cluster name")


class RenameForm(_RoundChoiceForm):
    cluster = forms.ModelChoiceField(queryset=Cluster.objects.all(), widget=forms.HiddenInput)
    name = forms.CharField(max_length=CLUSTER_NAME_MAX_LENGTH, label="New name")


class DotForm(_RoundChoiceForm):
    cluster = forms.ModelChoiceField(queryset=Cluster.objects.all())


class StatementForm(LabelledChoicesMixin, forms.Form):
    title = forms.CharField(max_length=160)
    introduction = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class EndorseGroupForm(LabelledChoicesMixin, forms.Form):
    group = forms.CharField(max_length=140)


class EndorsePartyForm(LabelledChoicesMixin, forms.Form):
    party = forms.IntegerField()
