from django.contrib import admin

from socialplan.accounts.admin_scope import MunicipalityScopedAdmin, MunicipalityScopedInline

from .models import Event, Exercise, ListCriterion, Protocol, ProtocolContact, ProtocolStep


class StepInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "protocol__municipality"
    model = ProtocolStep
    extra = 1


class ContactInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "protocol__municipality"
    model = ProtocolContact
    extra = 1


@admin.register(Protocol)
class ProtocolAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    """A version used by an event is read-only: "Save as new" makes the next version."""

    municipality_path = "municipality"
    list_display = ["title", "version", "municipality", "current", "adopted_on"]
    save_as = True
    inlines = [StepInline, ContactInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.in_use:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.in_use:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ListCriterion)
class ListCriterionAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = ["label", "kind", "category", "domain", "active", "municipality"]
    list_filter = ["municipality", "kind", "active"]


@admin.register(Event)
class EventAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = ["title", "kind", "status", "started_at", "municipality"]
    readonly_fields = ["protocol", "created_by"]


@admin.register(Exercise)
class ExerciseAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = ["title", "kind", "date", "municipality"]
