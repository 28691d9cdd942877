from django.contrib import admin

from socialplan.accounts.admin_scope import MunicipalityScopedAdmin, MunicipalityScopedInline

from .models import AdministrativeUnit, Municipality, PopulationFigure


class UnitInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "municipality"
    model = AdministrativeUnit
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = ""
    # A manager edits their own municipality; only a superuser adds or removes one.
    managers_may_add = False
    managers_may_delete = False
    list_display = ["name", "code"]
    inlines = [UnitInline]


@admin.register(PopulationFigure)
class PopulationFigureAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = [
        "municipality",
        "area",
        "measure",
        "source",
        "year",
        "age_group",
        "value",
        "table",
    ]
    list_filter = ["municipality", "source", "year"]
