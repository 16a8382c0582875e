from django.contrib import admin

from groups.models import Group, GroupLink, Membership, Party, PartyStaff


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
    list_display = ["name", "kind", "party", "region", "is_verified", "created_at"]
    list_filter = ["kind", "party", "region", "is_verified"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["constituencies"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "group__name"]
    autocomplete_fields = ["user", "group"]


@admin.register(PartyStaff)
class PartyStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "party", "region", "notify_clashes"]
    list_filter = ["party", "region"]
    autocomplete_fields = ["user"]


@admin.register(GroupLink)
class GroupLinkAdmin(admin.ModelAdmin):
    list_display = ["from_group", "to_group", "status", "created_at"]
    list_filter = ["status"]
