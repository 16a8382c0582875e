from django.contrib import admin

from seats.models import (
    Agreement,
    AgreementAcceptance,
    AgreementHistory,
    AgreementPackage,
    AgreementParty,
    Constituency,
    Contest,
    Election,
    PackageAcceptance,
    PackageComment,
    PackageHistory,
    VoteSwap,
    VoteSwapRegistration,
)


@admin.register(Constituency)
class ConstituencyAdmin(admin.ModelAdmin):
    list_display = ["name", "ons_code", "boundary_set", "nation", "region", "electorate"]
    list_filter = ["boundary_set", "nation", "region"]
    search_fields = ["name", "ons_code"]


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "date", "kind", "boundary_set"]


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    """Read-only: results come from `seats_import_results`, not from hand edits."""

    list_display = ["constituency", "election", "winner_code", "majority", "valid_votes"]
    list_filter = ["election", "winner_code"]
    search_fields = ["constituency__name", "constituency__ons_code"]
    list_select_related = ["constituency", "election"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0


class AgreementAcceptanceInline(admin.TabularInline):
    model = AgreementAcceptance
    extra = 0
    readonly_fields = ["party", "accepted_by", "at"]

    def has_add_permission(self, request, obj=None):
        return False


class AgreementHistoryInline(admin.TabularInline):
    model = AgreementHistory
    extra = 0
    readonly_fields = ["at", "actor", "action", "detail"]
    exclude = ["snapshot"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Acceptance happens in the app, by each party's staff; here it can only be looked at."""

    list_display = ["constituency", "election", "arrangement", "status", "updated_at"]
    list_filter = ["status", "arrangement", "election"]
    search_fields = ["constituency__name"]
    readonly_fields = ["status", "proposed_by", "created_at", "updated_at"]
    inlines = [AgreementPartyInline, AgreementAcceptanceInline, AgreementHistoryInline]


class PackageAcceptanceInline(admin.TabularInline):
    model = PackageAcceptance
    extra = 0
    readonly_fields = ["party", "accepted_by", "at"]

    def has_add_permission(self, request, obj=None):
        return False


class PackageHistoryInline(admin.TabularInline):
    model = PackageHistory
    extra = 0
    readonly_fields = ["at", "actor", "action", "detail"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PackageCommentInline(admin.TabularInline):
    model = PackageComment
    extra = 0
    readonly_fields = ["group", "author", "body", "endorses", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AgreementPackage)
class AgreementPackageAdmin(admin.ModelAdmin):
    """Packages are proposed, accepted and changed in the app by the parties' staff."""

    list_display = ["name", "election", "status", "consultation_open", "updated_at"]
    list_filter = ["status", "election"]
    search_fields = ["name"]
    readonly_fields = ["status", "proposed_by", "created_at", "updated_at"]
    inlines = [PackageAcceptanceInline, PackageHistoryInline, PackageCommentInline]


@admin.register(VoteSwapRegistration)
class VoteSwapRegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "preferred_party",
        "local_party",
        "constituency",
        "status",
        "created_at",
    ]
    list_filter = ["status", "preferred_party"]
    raw_id_fields = ["user", "constituency"]


@admin.register(VoteSwap)
class VoteSwapAdmin(admin.ModelAdmin):
    list_display = ["pk", "a", "b", "state", "expires_at"]
    list_filter = ["state"]
    raw_id_fields = ["a", "b"]
