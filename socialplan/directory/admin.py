from django.contrib import admin

from socialplan.accounts.admin_scope import (
    MunicipalityScopedAdmin,
    MunicipalityScopedInline,
    SuperuserOnlyAdmin,
)

from .models import Category, Organisation, Service


@admin.register(Category)
class CategoryAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """A national list shared by every municipality: no municipality's staff edits it."""

    list_display = ["code", "name", "name_en", "special"]


class ServiceInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "municipality"
    model = Service
    extra = 0
    fields = ["name", "type", "status", "confidential"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = ["name", "kind", "funding", "municipality"]
    list_filter = ["municipality", "kind", "funding"]
    search_fields = ["name"]
    filter_horizontal = ["units"]
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = ["name", "organisation", "type", "status", "confidential"]
    list_filter = ["municipality", "type", "status", "confidential"]
    list_select_related = ["organisation"]
    search_fields = ["name", "description"]
    filter_horizontal = ["units", "categories"]
