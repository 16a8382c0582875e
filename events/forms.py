from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from alliance.forms import FieldsetsMixin, LabelledChoicesMixin, searchable
from events.filters import FastSelect
from events.models import CalendarFeed, Event, RsvpAnswer, Visibility
from groups.models import Group
from mailinglists.forms import KeepPostedMixin
from seats.forms import PostcodeField, SearchableSeatSelect
from seats.models import Constituency
from seats.postcodes import (
    InvalidPostcode,
    PostcodeLookupUnavailable,
    postcode_locate,
    postcode_lookup,
    postcode_normalise,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# Dates far outside this range are typing mistakes (and year 9999 overflows date arithmetic).
FIRST_YEAR = 2000
MAX_YEARS_AHEAD = 10

# What each visibility promises. Event.objects.visible_to (events/querysets.py) keeps these
# promises and is the only place that decides who sees an event.
VISIBILITY_CHOICES = [
    (Visibility.PUBLIC, "Public: anyone, signed in or not"),
    (
        Visibility.ALLIANCE,
        "Alliance-wide: party staff, and organisers and approved members of verified groups",
    ),
    (
        Visibility.GROUP,
        "Members only: this group's organisers and approved members (and those of "
        "co-organising groups)",
    ),
]
VISIBILITY_HELP = (
    "Members only means people the group's organisers approved, or anyone who joins if the "
    "group is open to join. Alliance-wide needs a group verified by site staff: creating or "
    "joining an unverified group does not open it."
)


class LocalDateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker; the value is UK local time (Django's TIME_ZONE)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class EventForm(LabelledChoicesMixin, FieldsetsMixin, forms.ModelForm):
    fieldsets = [
        ("What", ["title", "kind", "description"]),
        ("When", ["starts_at", "ends_at", "all_day", "repeat", "repeat_until"]),
        ("Where", ["venue_name", "address", "postcode", "constituency"]),
        ("Who", ["capacity", "visibility", "cohost"]),
    ]
    REPEAT_CHOICES = [
        ("", "Does not repeat"),
        ("weekly", "Every week"),
        ("fortnightly", "Every two weeks"),
        ("monthly", "Every month (same date)"),
    ]
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False, label="Repeats")
    repeat_until = forms.DateField(
        required=False,
        label="Repeat until",
        help_text="Optional. Occurrences are created up to four months ahead at a time.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Not an Event field: saving the form invites the group (groups/coalitions.py); it
    # co-hosts only once its organisers accept from the email.
    cohost = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        required=False,
        label="Invite a group to co-host (optional)",
        empty_label="No co-host",
        help_text="Their organisers get an email. Once they accept, they can edit the event, "
        "see who is coming and get its clash notices.",
        widget=FastSelect(attrs=searchable(placeholder="Type a group's name")),
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "kind",
            "description",
            "starts_at",
            "ends_at",
            "all_day",
            "venue_name",
            "address",
            "postcode",
            "constituency",
            "capacity",
            "visibility",
        ]
        labels = {"starts_at": "Starts (UK time)", "ends_at": "Ends (UK time)"}
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 5}),
            "constituency": SearchableSeatSelect,
        }
        help_texts = {
            "postcode": "We find the constituency from the postcode when we can.",
            "constituency": "Pick it if the postcode lookup cannot place the event.",
            "visibility": VISIBILITY_HELP,
        }

    # The fields the live clash check reads (the event form's htmx warning).
    CLASH_CHECK_FIELDS = ("starts_at", "ends_at", "postcode", "constituency")

    def __init__(
        self, *args, creating: bool = True, clash_check_url: str = "", group=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if group is None:
            del self.fields["cohost"]
        else:
            self.fields["cohost"].queryset = (
                Group.objects.exclude(pk=group.pk).only("pk", "name").order_by("name")
            )
        self.fields["visibility"].choices = VISIBILITY_CHOICES
        self.location = None
        # The lookup service was down: the event is saved without a constituency (the view
        # says so) rather than the organiser's work being refused.
        self.lookup_unavailable = False
        self.fields["starts_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        self.fields["ends_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        self.fields["constituency"].queryset = Constituency.objects.current().order_by("name")
        self.fields["constituency"].required = False
        # People type postcodes loosely ("sw1a   1aa"): normalise first, then check the shape.
        postcode = self.fields["postcode"]
        postcode.max_length = 20
        postcode.widget.attrs["maxlength"] = "20"
        postcode.validators = []
        if not creating:
            del self.fields["repeat"]
            del self.fields["repeat_until"]
        if clash_check_url:
            include = ",".join(f"#id_{name}" for name in self.CLASH_CHECK_FIELDS)
            for name in self.CLASH_CHECK_FIELDS:
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": clash_check_url,
                        "hx-trigger": "change",
                        # One check at a time for the whole form, the latest wins: an older
                        # answer (before the seat was chosen) must not overwrite a newer one.
                        "hx-sync": "closest form:replace",
                        "hx-target": "#clash-warning",
                        "hx-include": include,
                        "aria-controls": "clash-warning",
                    }
                )
        if self.data.get("clash_warned"):
            self.offer_publish_anyway()

    def offer_publish_anyway(self) -> None:
        """After a clash warning: the organiser may publish anyway (both sides are told)."""
        self.fields["clash_warned"] = forms.BooleanField(
            required=False, initial=True, widget=forms.HiddenInput
        )
        self.fields["publish_anyway"] = forms.BooleanField(
            required=False,
            label="Publish anyway (the organisers of both events are told of the clash)",
        )

    @property
    def publishing_anyway(self) -> bool:
        return bool(self.cleaned_data.get("publish_anyway"))

    def clean_postcode(self):
        raw = self.cleaned_data.get("postcode", "")
        if not raw.strip():
            return ""
        try:
            return postcode_normalise(raw)
        except InvalidPostcode as error:
            raise ValidationError(str(error))

    def clean(self):
        data = super().clean()
        last_year = timezone.now().year + MAX_YEARS_AHEAD
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value and not FIRST_YEAR <= value.year <= last_year:
                self.add_error(name, f"Choose a date between {FIRST_YEAR} and {last_year}.")
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "The event must end after it starts.")
        postcode = data.get("postcode")
        if postcode and not data.get("constituency"):
            try:
                self.location = postcode_locate(postcode)
            except PostcodeLookupUnavailable:
                self.lookup_unavailable = True
            else:
                seat = None
                if self.location and self.location.constituency_code:
                    seat = (
                        Constituency.objects.current()
                        .filter(ons_code=self.location.constituency_code)
                        .first()
                    )
                if seat is None:
                    self.add_error(
                        "constituency",
                        "We could not find the constituency for this postcode. "
                        "Please pick it from the list.",
                    )
                else:
                    data["constituency"] = seat
        elif postcode and data.get("constituency"):
            self.location = postcode_lookup(postcode)
        if data.get("repeat_until") and not data.get("repeat"):
            self.add_error("repeat", "Choose how often it repeats, or clear “Repeat until”.")
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("clash_warned", None)
        data.pop("publish_anyway", None)
        data.pop("cohost", None)
        if self.location and self.location.latitude is not None:
            data["latitude"] = self.location.latitude
            data["longitude"] = self.location.longitude
        elif "postcode" in self.changed_data:
            data["latitude"] = data["longitude"] = None
        if not data.get("repeat"):
            data.pop("repeat", None)
            data.pop("repeat_until", None)
        return data


class RsvpForm(KeepPostedMixin, LabelledChoicesMixin, forms.Form):
    answer = forms.ChoiceField(
        choices=[
            (RsvpAnswer.GOING, "Going"),
            (RsvpAnswer.MAYBE, "Maybe"),
            (RsvpAnswer.NOT_GOING, "Not going"),
        ],
        widget=forms.RadioSelect,
    )


class GuestRsvpForm(KeepPostedMixin, forms.Form):
    """Going without an account: a name and an email; the postcode helps organisers plan."""

    name = forms.CharField(label="Your name", max_length=100)
    email = forms.EmailField(label="Your email", max_length=254)
    postcode = PostcodeField(label="Postcode (optional)")


class AttendanceForm(forms.Form):
    """Who came: the ids of the member and guest answers ticked on the attendees page."""

    rsvp = forms.TypedMultipleChoiceField(coerce=int, required=False)
    guest = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, rsvp_ids=(), guest_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rsvp"].choices = [(pk, pk) for pk in rsvp_ids]
        self.fields["guest"].choices = [(pk, pk) for pk in guest_ids]


class CalendarFeedForm(LabelledChoicesMixin, forms.ModelForm):
    """Step one of adding a calendar: where it is and how its events are shown. Nothing is
    imported until the organiser has seen the preview and confirmed."""

    upload = forms.FileField(
        label="iCalendar file",
        required=False,
        help_text="Or upload an .ics file (up to 5 MB).",
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    class Meta:
        model = CalendarFeed
        fields = ["name", "url", "upload", "kind", "visibility", "default_constituency"]
        help_texts = {
            "visibility": "Who sees the events this calendar brings in. " + VISIBILITY_HELP,
            "url": "An .ics address, e.g. a Google Calendar's public iCal address. "
            "We check it every hour.",
            "default_constituency": "Events whose location has no UK postcode are placed here.",
        }

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].choices = VISIBILITY_CHOICES
        seats = self.fields["default_constituency"]
        seats.queryset = Constituency.objects.current().order_by("name")
        seats.required = False
        if group is not None and not self.is_bound:
            covered = list(group.constituencies.all()[:2])
            if len(covered) == 1:
                self.initial["default_constituency"] = covered[0].pk

    def clean_upload(self):
        """The file's bytes (kept in the database, never as a file anyone can download)."""
        from django.conf import settings

        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        limit = settings.EVENTS_FEED_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is too large ({upload.size / 1024 / 1024:.1f} MB); "
                f"the limit is {limit / 1024 / 1024:.0f} MB."
            )
        return upload.read(limit + 1)

    def clean(self):
        data = super().clean()
        if not data.get("url") and not data.get("upload"):
            raise ValidationError("Give the calendar's address or upload an .ics file.")
        if data.get("url") and data.get("upload"):
            raise ValidationError("Give an address or a file, not both.")
        return data

    @property
    def upload_name(self) -> str:
        upload = self.files.get(self.add_prefix("upload"))
        return (getattr(upload, "name", "") or "")[:200]


class EventClashCheckForm(LabelledChoicesMixin, forms.Form):
    """The live clash check's query string: the event form's time and place fields."""

    starts_at = forms.DateTimeField(input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"])
    postcode = forms.CharField(required=False, max_length=20)
    constituency = forms.ModelChoiceField(queryset=Constituency.objects.current(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("The event must end after it starts.")
        return data

    def place(self) -> tuple[int | None, float | None, float | None]:
        """(constituency id, latitude, longitude): the postcode is looked up when it can be;
        a lookup that fails only makes the check coarser, never an error."""
        data = self.cleaned_data
        seat = data.get("constituency")
        location = None
        if data.get("postcode"):
            try:
                location = postcode_locate(data["postcode"])
            except (InvalidPostcode, PostcodeLookupUnavailable):
                location = None
        if seat is None and location and location.constituency_code:
            seat = (
                Constituency.objects.current().filter(ons_code=location.constituency_code).first()
            )
        latitude = location.latitude if location else None
        longitude = location.longitude if location else None
        return (seat.pk if seat else None), latitude, longitude
