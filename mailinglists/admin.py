from django.contrib import admin

from mailinglists.models import Mailing, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "group", "status", "source", "consent_at", "confirmed_at"]
    list_filter = ["status", "source"]
    search_fields = ["email", "group__name"]
    raw_id_fields = ["group", "user", "unsubscribed_from"]
    readonly_fields = ["token", "consent_at", "confirmed_at", "unsubscribed_at"]


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["subject", "group", "audience", "status", "recipient_count", "created_at"]
    list_filter = ["status", "audience"]
    raw_id_fields = ["group", "event", "author"]
    readonly_fields = ["cursor", "recipient_count"]
