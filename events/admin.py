"""Admin of events, series, RSVPs, calendar tokens and imported calendars."""

from django.contrib import admin

from events.models import CalendarFeed, CalendarToken, Event, EventSeries, Rsvp
from events.services import calendar_changed


class RsvpInline(admin.TabularInline):
    model = Rsvp
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at", "reminder_sent_at", "notified_sequence"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "kind", "starts_at", "status", "visibility", "is_imported"]
    list_filter = ["status", "kind", "visibility", "is_imported", "group__kind"]
    search_fields = ["title", "group__name", "venue_name", "postcode"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["group", "series", "constituency", "created_by", "feed"]
    filter_horizontal = ["co_organisers"]
    readonly_fields = ["uid", "sequence", "source_uid", "source_key", "created_at", "updated_at"]
    list_select_related = ["group"]
    inlines = [RsvpInline]

    # Edits here skip the services: the cached calendar pages must still go at once.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        calendar_changed()


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "group", "expanded_until"]
    raw_id_fields = ["group"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "url", "last_synced_at", "imported_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "group__name", "url"]
    raw_id_fields = ["group", "created_by"]
    readonly_fields = ["etag", "last_modified", "last_synced_at", "last_success_at"]


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]
    readonly_fields = ["token"]
