from django.contrib import admin

from .models import AdministrativeUnit, Municipality, PopulationFigure


class UnitInline(admin.TabularInline):
    model = AdministrativeUnit
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    inlines = [UnitInline]


@admin.register(PopulationFigure)
class PopulationFigureAdmin(admin.ModelAdmin):
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
