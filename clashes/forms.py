"""Forms of the clash pages."""

from django import forms

from clashes.models import Clash, NotificationMode


class ClashMergeForm(forms.Form):
    keep = forms.TypedChoiceField(
        label="Keep this event as the joint event",
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Both groups co-organise the kept event; the other is cancelled and the "
        "people going are told.",
    )

    def __init__(self, *args, clash: Clash, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [
            (event.pk, f"{event.title} ({event.group.name})")
            for event in (clash.event_a, clash.event_b)
        ]


class NotificationPreferenceForm(forms.Form):
    clash_emails = forms.ChoiceField(
        label="Clash emails", choices=NotificationMode.choices, widget=forms.RadioSelect
    )
