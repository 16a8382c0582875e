"""Forms of the clash pages."""

from django import forms

from alliance.forms import LabelledChoicesMixin
from clashes.models import Clash, NotificationMode


class ClashMergeForm(LabelledChoicesMixin, forms.Form):
    keep = forms.TypedChoiceField(
        label="Keep this event as the joint event",
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Both groups co-organise the kept event; the other is cancelled and the "
        "people going are told.",
    )

    def __init__(self, *args, clash: Clash, **kwargs):
        super().__init__(*args, **kwargs)
        # What the viewer may see of each side (`clash_sides_show`), when the view has asked.
        shown = (getattr(clash, "shown_a", clash.event_a), getattr(clash, "shown_b", clash.event_b))
        self.fields["keep"].choices = [
            (event.pk, f"{event.title} ({event.group.name})") for event in shown
        ]


class NotificationPreferenceForm(LabelledChoicesMixin, forms.Form):
    clash_emails = forms.ChoiceField(
        label="Clash emails", choices=NotificationMode.choices, widget=forms.RadioSelect
    )


class ClashNoteForm(LabelledChoicesMixin, forms.Form):
    body = forms.CharField(
        label="Note to both sides",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Both groups' organisers see it on this page.",
    )
    email_organisers = forms.BooleanField(
        required=False, label="Also email it to the organisers of both events"
    )
