from django.contrib import admin

from .models import Kpi


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    """The KPI catalogue is seeded by a migration; contract files refer to its codes."""

    list_display = ["code", "name", "unit", "direction", "aggregation", "scale", "min_value", "max_value"]
    list_filter = ["unit", "direction", "aggregation"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
