from django import forms
from django.utils import timezone

from alliance.forms import LabelledChoicesMixin
from events.models import Event
from mailinglists.choices import Audience


class KeepPostedMixin:
    """ "Keep me posted by <group>", unticked by default, on every form that offers a group's
    mailing list (joining it, answering one of its events, signing one of its petitions):
    the form gets a `keep_posted` box labelled with the group it passes as `group=`."""

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep_posted"] = forms.BooleanField(
            required=False,
            initial=False,
            label=f"Keep me posted by {group.name}" if group else "Keep me posted",
        )


class SubscribeForm(LabelledChoicesMixin, forms.Form):
    email = forms.EmailField(label="Your email")
    name = forms.CharField(label="Your name", max_length=100, required=False)
    # Bots fill every field; people never see this one.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class MailingForm(LabelledChoicesMixin, forms.Form):
    audience = forms.ChoiceField(
        choices=Audience.choices, initial=Audience.LIST, widget=forms.RadioSelect, label="Send to"
    )
    event = forms.ModelChoiceField(
        queryset=Event.objects.none(),
        required=False,
        label="Event (when sending to the people going to an event)",
    )
    subject = forms.CharField(max_length=150)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20_000,
        help_text="Plain text. Links are sent as written. Every email ends with an "
        "unsubscribe link.",
    )

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        since = timezone.now() - timezone.timedelta(days=30)
        self.fields["event"].queryset = (
            Event.objects.filter(group=group, starts_at__gte=since)
            .scheduled()
            .order_by("starts_at")
        )

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError("The subject is one line.")
        return subject

    def clean(self):
        data = super().clean()
        if data.get("audience") == Audience.EVENT and not data.get("event"):
            self.add_error("event", "Choose the event whose attendees get this email.")
        return data
