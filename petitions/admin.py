from django import forms
from django.contrib import admin, messages

from petitions.forms import PetitionForm
from petitions.models import (
    ConstituencyTally,
    Milestone,
    Petition,
    PetitionResponse,
    PetitionTally,
    PetitionUpdate,
    Signature,
)
from petitions.services.counting import petition_count


class PetitionAdminForm(forms.ModelForm):
    """The admin supplies model and fields; staff uploads are checked like organisers'."""

    clean_image = PetitionForm.clean_image


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    form = PetitionAdminForm
    list_display = ["title", "group", "status", "created_at", "closes_at", "delivered_at"]
    list_filter = ["status", "is_sample"]
    search_fields = ["title", "slug", "group__name"]
    raw_id_fields = ["group", "created_by", "moderated_by"]
    actions = ["recount"]

    @admin.action(description="Recount now (exact)")
    def recount(self, request, queryset):
        for petition in queryset:
            petition_count(petition_id=petition.pk)
        self.message_user(request, f"Recounted {queryset.count()} petitions.", messages.SUCCESS)


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Read-mostly: bulk invalidation lives at /petitions/staff/invalidate/ (counts corrected)."""

    list_display = [
        "petition",
        "first_name",
        "email_domain",
        "constituency",
        "status",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["email_normalised", "email_domain"]
    raw_id_fields = ["petition", "constituency", "user"]
    readonly_fields = ["token", "email_normalised", "created_at", "confirmed_at", "changed_at"]
    list_select_related = ["petition", "constituency"]


admin.site.register(PetitionTally)
admin.site.register(ConstituencyTally)
admin.site.register(Milestone)
admin.site.register(PetitionUpdate)


@admin.register(PetitionResponse)
class PetitionResponseAdmin(admin.ModelAdmin):
    """A party's answer: written in the app by its staff and emailed to signers as it was."""

    list_display = ["petition", "party", "created_at", "emails_queued", "emails_finished_at"]
    readonly_fields = ["petition", "party", "body", "responded_by", "created_at",
                       "last_signature_id", "emails_queued", "emails_finished_at"]  # fmt: skip
