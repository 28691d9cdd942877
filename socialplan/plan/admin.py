from django.contrib import admin

from socialplan.accounts.admin_scope import MunicipalityScopedAdmin, MunicipalityScopedInline

from .models import Activity, BudgetLine, DeclaredTotal, Measure, Objective, Plan, Priority, Target


class PriorityInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "plan__municipality"
    model = Priority
    extra = 0
    fields = ["number", "title", "line"]


class DeclaredTotalInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "plan__municipality"
    model = DeclaredTotal
    extra = 0
    fields = [
        "position",
        "priority",
        "objective",
        "where",
        "group",
        "printed",
        "amount",
        "line",
        "label",
    ]


@admin.register(Plan)
class PlanAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "municipality"
    list_display = [
        "title",
        "slug",
        "revision_number",
        "council_decision",
        "municipality",
        "period_start",
        "period_end",
    ]
    readonly_fields = ["revision_of", "revision_number", "revised_at", "revised_by"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [PriorityInline, DeclaredTotalInline]


class ObjectiveInline(MunicipalityScopedInline, admin.StackedInline):
    municipality_path = "priority__plan__municipality"
    model = Objective
    extra = 0


@admin.register(Priority)
class PriorityAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "plan__municipality"
    list_display = ["number", "title", "plan"]
    list_filter = ["plan"]
    inlines = [ObjectiveInline]


class MeasureInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "objective__priority__plan__municipality"
    model = Measure
    extra = 0


@admin.register(Objective)
class ObjectiveAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "priority__plan__municipality"
    list_display = ["code", "title", "priority"]
    list_filter = ["priority__plan"]
    inlines = [MeasureInline]


class ActivityInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "measure__objective__priority__plan__municipality"
    model = Activity
    extra = 0
    fields = ["position", "code", "title", "start_year", "end_year"]
    show_change_link = True


@admin.register(Measure)
class MeasureAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "objective__priority__plan__municipality"
    list_display = ["__str__", "title"]
    list_filter = ["objective__priority__plan"]
    list_select_related = ["objective"]
    inlines = [ActivityInline]


class TargetInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "activity__measure__objective__priority__plan__municipality"
    model = Target
    extra = 0


class BudgetLineInline(MunicipalityScopedInline, admin.TabularInline):
    municipality_path = "activity__measure__objective__priority__plan__municipality"
    model = BudgetLine
    extra = 0


@admin.register(Activity)
class ActivityAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "measure__objective__priority__plan__municipality"
    list_display = ["display_code", "title", "start_year", "end_year", "measure"]
    list_filter = ["measure__objective__priority__plan", "measure__objective"]
    list_select_related = ["measure__objective"]
    search_fields = ["code", "title", "indicator"]
    raw_id_fields = ["parent", "measure"]
    inlines = [TargetInline, BudgetLineInline]


@admin.register(BudgetLine)
class BudgetLineAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "activity__measure__objective__priority__plan__municipality"
    list_display = ["printed", "amount", "per_year", "source", "activity"]
    list_filter = ["source", "per_year", "activity__measure__objective__priority__plan"]
    list_select_related = ["activity"]
    search_fields = ["printed", "funder"]
    raw_id_fields = ["activity"]
