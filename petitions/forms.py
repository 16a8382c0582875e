import ipaddress

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from alliance.forms import LabelledChoicesMixin
from alliance.images import image_prepare
from mailinglists.forms import KeepPostedMixin
from petitions.emails import email_is_disposable
from petitions.models import Petition
from seats.postcodes import InvalidPostcode, postcode_normalise


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 for c in value):
        raise forms.ValidationError("Please use letters, spaces and punctuation only.")
    return value


class SignForm(KeepPostedMixin, LabelledChoicesMixin, forms.Form):
    """The public form. Its "keep me posted" box (KeepPostedMixin) joins the group's list
    only once the signature is confirmed from the email."""

    name = forms.CharField(max_length=100, label="Full name")
    email = forms.EmailField(max_length=254, help_text="We email you a link to confirm.")
    postcode = forms.CharField(
        max_length=16, label="UK postcode", help_text="Used to count signatures by constituency."
    )
    town = forms.CharField(max_length=80, required=False, label="Town (optional)")
    show_publicly = forms.BooleanField(
        required=False, label="Show my first name and town among recent signers"
    )
    consent_to_contact = forms.BooleanField(
        required=False, label="The organisers may email me about this campaign"
    )
    # Honeypot: hidden from people (CSS and aria-hidden); bots fill every field.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["postcode"].widget.attrs["autocomplete"] = "postal-code"

    def clean_name(self):
        return _no_control_characters(self.cleaned_data["name"].strip())

    def clean_town(self):
        return _no_control_characters(self.cleaned_data["town"].strip())

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email_is_disposable(email):
            raise forms.ValidationError(
                "Please use a permanent email address: we need to reach you to confirm."
            )
        return email

    def clean_postcode(self):
        try:
            return postcode_normalise(self.cleaned_data["postcode"])
        except InvalidPostcode as error:
            raise forms.ValidationError(str(error))

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class OneClickSignForm(KeepPostedMixin, LabelledChoicesMixin, forms.Form):
    """A signed-in supporter with a verified email: only the postcode is asked."""

    postcode = SignForm.base_fields["postcode"]
    town = SignForm.base_fields["town"]
    show_publicly = SignForm.base_fields["show_publicly"]
    consent_to_contact = SignForm.base_fields["consent_to_contact"]

    clean_postcode = SignForm.clean_postcode
    clean_town = SignForm.clean_town


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PetitionForm(LabelledChoicesMixin, forms.ModelForm):
    class Meta:
        model = Petition
        fields = ["title", "target", "target_party", "body", "image", "opens_at", "closes_at"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
        }
        labels = {"opens_at": "Opens (optional)", "closes_at": "Closes (optional)"}

    def clean_image(self):
        """Decode and re-encode a new upload here, so a refused file is a field error."""
        image = self.cleaned_data.get("image")
        if image and isinstance(image, UploadedFile):
            try:
                return image_prepare(image)
            except ValidationError as error:
                raise forms.ValidationError(error.message_dict["image"])
        return image

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", "The closing date must be after the opening date.")
        return cleaned


class UpdateForm(LabelledChoicesMixin, forms.Form):
    subject = forms.CharField(max_length=150)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000)

    def clean_subject(self):
        return _no_control_characters(self.cleaned_data["subject"].strip())


class DeliverForm(LabelledChoicesMixin, forms.Form):
    delivered_on = forms.DateField(
        label="Handed over on", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(max_length=300, required=False, label="Note (optional)")

    def clean_delivered_on(self):
        value = self.cleaned_data["delivered_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The hand-over date cannot be in the future.")
        return value


class RejectForm(LabelledChoicesMixin, forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class InvalidateForm(LabelledChoicesMixin, forms.Form):
    petition = forms.ModelChoiceField(
        queryset=Petition.objects.all(), required=False, empty_label="All petitions"
    )
    domain = forms.CharField(max_length=254, required=False, help_text="E.g. spam.example")
    ip_network = forms.CharField(
        max_length=64, required=False, label="IP range", help_text="E.g. 203.0.113.0/24"
    )
    start = forms.DateTimeField(required=False, label="Signed from", widget=DateTimeInput())
    end = forms.DateTimeField(required=False, label="Signed before", widget=DateTimeInput())

    def clean_ip_network(self):
        value = self.cleaned_data["ip_network"].strip()
        if value:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise forms.ValidationError("Enter an IP address or range, like 203.0.113.0/24.")
        return value

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("domain", "ip_network", "start", "end")):
            raise forms.ValidationError("Choose at least a domain, an IP range or a time window.")
        return cleaned


class ResponseForm(LabelledChoicesMixin, forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10_000,
        label="Your party's answer",
        help_text="Shown on the petition page and emailed once to the signers who asked for "
        "updates. It cannot be changed afterwards.",
    )


class StallForm(LabelledChoicesMixin, forms.Form):
    """Switch stall mode on (for a number of hours) or off, on this device."""

    action = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")], widget=forms.HiddenInput)
    hours = forms.TypedChoiceField(
        label="For how long",
        choices=[(n, f"{n} hour{'s' if n > 1 else ''}") for n in (1, 2, 3, 4, 6, 8, 12)],
        coerce=int,
        initial=3,
        required=False,
        empty_value=3,
    )
