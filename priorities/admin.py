from django.contrib import admin

from priorities.models import Cluster, Endorsement, Note, Round, Statement


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "status", "opened_at"]
    list_filter = ["status"]
    search_fields = ["title", "group__name"]
    raw_id_fields = ["group", "event", "opened_by"]
    filter_horizontal = ["linked_groups"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["text", "round", "cluster", "is_hidden"]
    list_filter = ["is_hidden"]
    raw_id_fields = ["round", "participant", "cluster"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "round"]
    raw_id_fields = ["round"]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["title", "created_at"]
    raw_id_fields = ["round", "created_by"]
    filter_horizontal = ["constituencies"]


@admin.register(Endorsement)
class EndorsementAdmin(admin.ModelAdmin):
    list_display = ["statement", "group", "party", "created_at"]
    raw_id_fields = ["statement", "group", "party", "endorsed_by"]
