from django import forms

from alliance.forms import (
    FieldsetsMixin,
    LabelledChoicesMixin,
    SearchableSelect,
    SearchableSelectMultiple,
)
from groups.models import Group, GroupKind, JoinPolicy
from seats.forms import PostcodeField
from seats.models import Constituency
from seats.postcodes import postcode_lookup


class GroupForm(LabelledChoicesMixin, FieldsetsMixin, forms.ModelForm):
    fieldsets = [
        ("About the group", ["name", "kind", "party", "description", "join_policy"]),
        ("Where it campaigns", ["region", "constituencies", "postcode"]),
        (
            "How to reach it",
            [
                "contact_email",
                "website",
                "social_x",
                "social_facebook",
                "social_instagram",
                "social_bluesky",
                "social_mastodon",
            ],
        ),
    ]
    constituencies = forms.ModelMultipleChoiceField(
        queryset=Constituency.objects.current(),
        required=False,
        widget=SearchableSelectMultiple(attrs={"size": 8}),
        help_text="Type part of a name to find a seat; choose as many as you cover. "
        "(Without JavaScript: hold Ctrl, or Cmd on a Mac, to choose several.)",
    )
    postcode = PostcodeField(
        label="Postcode where you meet or campaign",
        help_text="Optional: people searching by postcode find you by distance from it. "
        "It is shown on your page.",
    )

    class Meta:
        model = Group
        fields = [
            "name",
            "kind",
            "party",
            "region",
            "description",
            "join_policy",
            "constituencies",
            "postcode",
            "contact_email",
            "website",
            "social_x",
            "social_facebook",
            "social_instagram",
            "social_bluesky",
            "social_mastodon",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "join_policy": forms.RadioSelect,
        }
        help_texts = {"party": "Required for party branches."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["join_policy"].required = False

    def clean_join_policy(self):
        # Left out (an old form, a script): the safe choice, never the open one.
        return self.cleaned_data.get("join_policy") or JoinPolicy.APPROVAL

    def clean(self):
        data = super().clean()
        if data.get("kind") == GroupKind.PARTY_BRANCH and not data.get("party"):
            self.add_error("party", "Choose the party this branch belongs to.")
        if data.get("kind") and data.get("kind") != GroupKind.PARTY_BRANCH:
            data["party"] = None
        # Placed for "near me"; a lookup that is down never stops the group being saved.
        place = postcode_lookup(data["postcode"]) if data.get("postcode") else None
        placed = place is not None and place.latitude is not None
        data["latitude"] = place.latitude if placed else None
        data["longitude"] = place.longitude if placed else None
        return data


class OrganiserInviteForm(LabelledChoicesMixin, forms.Form):
    email = forms.EmailField(
        label="Email of the person to invite as an organiser",
        help_text="We email them a link. They become an organiser only if they accept, "
        "signed in with this address. The link lasts 14 days.",
    )


class ContactForm(LabelledChoicesMixin, forms.Form):
    name = forms.CharField(max_length=100, label="Your name")
    email = forms.EmailField(label="Your email", help_text="The organisers reply to this address.")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    # Bots fill every field; people never see this one.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class LinkRequestForm(LabelledChoicesMixin, forms.Form):
    to_group = forms.ModelChoiceField(
        queryset=Group.objects.all(),
        label="Link up with",
        widget=SearchableSelect,
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def __init__(self, *args, from_group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_group"].queryset = Group.objects.exclude(pk=from_group.pk)


class PromoteForm(LabelledChoicesMixin, forms.Form):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Ask these linked groups to promote it",
    )

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = Group.objects.linked_to(group).order_by("name")


class CoHostForm(LabelledChoicesMixin, forms.Form):
    group = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        label="Invite this group",
        widget=SearchableSelect,
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = (
            Group.objects.exclude(pk=event.group_id)
            .exclude(co_organised_events=event)
            .only("pk", "name")
        )


class NetworkRequestForm(LabelledChoicesMixin, forms.Form):
    child = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        label="Ask this group to join",
        widget=SearchableSelect,
    )

    def __init__(self, *args, parent: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = (
            Group.objects.exclude(pk=parent.pk).exclude(parent=parent).only("pk", "name")
        )
