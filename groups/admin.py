from django.contrib import admin

from groups.models import (
    Group,
    GroupLink,
    Membership,
    MembershipRequest,
    OrganiserInvitation,
    Party,
    PartyStaff,
)
from groups.services import directory_changed


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "colour", "is_progressive"]
    list_filter = ["is_progressive"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "short_name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "party", "region", "is_verified", "join_policy", "created_at"]
    list_filter = ["kind", "party", "region", "is_verified", "join_policy"]
    list_select_related = ["party"]
    search_fields = ["name", "slug", "description", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["constituencies", "created_by"]
    date_hierarchy = "created_at"
    actions = ["mark_verified"]
    inlines = [MembershipInline]

    # Edits here skip the services: the cached directory pages must still go at once.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        directory_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        directory_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        directory_changed()

    @admin.action(description="Mark selected groups as verified")
    def mark_verified(self, request, queryset):
        updated = queryset.update(is_verified=True)
        self.message_user(request, f"{updated} group(s) marked as verified.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["role", "group__kind", "group__region"]
    list_select_related = ["user", "group"]
    search_fields = ["user__email", "user__name", "group__name"]
    autocomplete_fields = ["user", "group"]
    date_hierarchy = "joined_at"


@admin.register(PartyStaff)
class PartyStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "party", "region", "notify_clashes"]
    list_filter = ["party", "region", "notify_clashes"]
    list_select_related = ["user", "party"]
    search_fields = ["user__email", "user__name", "party__name", "party__short_name"]
    autocomplete_fields = ["user", "party"]


@admin.register(GroupLink)
class GroupLinkAdmin(admin.ModelAdmin):
    list_display = ["from_group", "to_group", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["from_group", "to_group"]
    search_fields = ["from_group__name", "to_group__name", "message"]
    autocomplete_fields = ["from_group", "to_group", "requested_by"]
    date_hierarchy = "created_at"


@admin.register(MembershipRequest)
class MembershipRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "created_at"]
    list_select_related = ["user", "group"]
    search_fields = ["user__email", "user__name", "group__name"]
    autocomplete_fields = ["user", "group"]


@admin.register(OrganiserInvitation)
class OrganiserInvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations change only through their link and the organisers' page."""

    list_display = ["email", "group", "status", "created_at", "expires_at", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["group"]
    search_fields = ["email", "group__name"]
    exclude = ["token"]  # the link is the invitee's; staff never need it
    readonly_fields = [
        "group",
        "email",
        "status",
        "invited_by",
        "accepted_by",
        "created_at",
        "expires_at",
        "sent_at",
        "decided_at",
    ]

    def has_add_permission(self, request):
        return False
