from django.contrib import admin

from .models import Activity, BudgetLine, DeclaredTotal, Measure, Objective, Plan, Priority, Target


class PriorityInline(admin.TabularInline):
    model = Priority
    extra = 0
    fields = ["number", "title", "line"]


class DeclaredTotalInline(admin.TabularInline):
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
class PlanAdmin(admin.ModelAdmin):
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


class ObjectiveInline(admin.StackedInline):
    model = Objective
    extra = 0


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "plan"]
    list_filter = ["plan"]
    inlines = [ObjectiveInline]


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "priority"]
    list_filter = ["priority__plan"]
    inlines = [MeasureInline]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["position", "code", "title", "start_year", "end_year"]
    show_change_link = True


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title"]
    list_filter = ["objective__priority__plan"]
    list_select_related = ["objective"]
    inlines = [ActivityInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["display_code", "title", "start_year", "end_year", "measure"]
    list_filter = ["measure__objective__priority__plan", "measure__objective"]
    list_select_related = ["measure__objective"]
    search_fields = ["code", "title", "indicator"]
    raw_id_fields = ["parent", "measure"]
    inlines = [TargetInline, BudgetLineInline]


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ["printed", "amount", "per_year", "source", "activity"]
    list_filter = ["source", "per_year", "activity__measure__objective__priority__plan"]
    list_select_related = ["activity"]
    search_fields = ["printed", "funder"]
    raw_id_fields = ["activity"]
