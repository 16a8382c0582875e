from django.contrib import admin

from seats.models import Constituency


@admin.register(Constituency)
class ConstituencyAdmin(admin.ModelAdmin):
    list_display = ["name", "ons_code", "boundary_set", "nation", "region", "electorate"]
    list_filter = ["boundary_set", "nation", "region"]
    search_fields = ["name", "ons_code"]
