from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User
from groups.models import Membership, PartyStaff


class MembershipInline(admin.TabularInline):
    """Roles come from memberships: a user's groups, and whether they organise them."""

    model = Membership
    extra = 0
    autocomplete_fields = ["group"]
    verbose_name_plural = "group memberships (member / organiser)"


class PartyStaffInline(admin.TabularInline):
    model = PartyStaff
    extra = 0
    verbose_name_plural = "party staff roles"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "party_staff_roles__party"]
    search_fields = ["email", "name"]
    date_hierarchy = "date_joined"
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        (
            "Site administration",
            {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("user_permissions",)
    inlines = [MembershipInline, PartyStaffInline]
