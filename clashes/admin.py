"""Admin for clash detection: site staff edit the clash rules here."""

from django import forms
from django.contrib import admin

from clashes.models import Clash, ClashNotification, ClashRule, NotificationPreference
from groups.models import GroupKind


class ClashRuleForm(forms.ModelForm):
    side_a_kinds = forms.MultipleChoiceField(
        label="First side: groups of these kinds",
        choices=GroupKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    side_b_kinds = forms.MultipleChoiceField(
        label="Other side: groups of these kinds",
        choices=GroupKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ClashRule
        fields = ["name", "side_a_kinds", "party", "side_b_kinds", "is_active"]


@admin.register(ClashRule)
class ClashRuleAdmin(admin.ModelAdmin):
    form = ClashRuleForm
    list_display = ["name", "side_a_kinds", "party", "side_b_kinds", "is_active"]
    list_filter = ["is_active"]


@admin.register(Clash)
class ClashAdmin(admin.ModelAdmin):
    list_display = ["pk", "event_a", "event_b", "status", "distance_km", "detected_at"]
    list_filter = ["status"]
    list_select_related = ["event_a", "event_b"]
    raw_id_fields = ["event_a", "event_b", "decided_by"]
    date_hierarchy = "detected_at"


@admin.register(ClashNotification)
class ClashNotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "clash", "recipient", "status", "attempts", "sent_at", "via_digest"]
    list_filter = ["status", "via_digest"]
    list_select_related = ["clash", "recipient"]
    raw_id_fields = ["clash", "recipient"]
    readonly_fields = ["claim_token", "claimed_at", "sent_at", "last_error"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "clash_emails", "updated_at"]
    list_filter = ["clash_emails"]
    raw_id_fields = ["user"]
