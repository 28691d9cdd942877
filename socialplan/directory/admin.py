from django.contrib import admin

from .models import Category, Organisation, Service


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "special"]


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["name", "type", "status", "confidential"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "funding", "municipality"]
    list_filter = ["municipality", "kind", "funding"]
    search_fields = ["name"]
    filter_horizontal = ["units"]
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "type", "status", "confidential"]
    list_filter = ["municipality", "type", "status", "confidential"]
    list_select_related = ["organisation"]
    search_fields = ["name", "description"]
    filter_horizontal = ["units", "categories"]
