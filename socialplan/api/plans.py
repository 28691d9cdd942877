"""Plans: list, the whole tree, and the budget reconciliation."""

import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from socialplan.plan.models import Measure, Objective, Plan, Priority
from socialplan.plan.reconciliation import Amounts, Comparison, Scope, reconcile
from socialplan.plan.reports import activities_queryset

from .schemas import ErrorOut, InvalidOut

router = Router(tags=["plans"])
NOT_FOUND = {404: ErrorOut, 422: InvalidOut}
SLUG = r"^[-a-zA-Z0-9_]+$"


class PlanSummaryOut(Schema):
    slug: str
    title: str
    municipality: str
    period_start: datetime.date
    period_end: datetime.date


class TargetOut(Schema):
    text: str
    measurable: bool
    value: Decimal | None
    unit: str
    per: str | None
    years: list[int]


class BudgetLineOut(Schema):
    printed: str
    amount: int | None
    per_year: bool
    total: int | None
    source: str
    funder: str
    interpretation: str
    line: int | None


class ActivityOut(Schema):
    id: int
    code: str
    parent: str | None
    title: str
    indicator: str
    start_year: int | None
    end_year: int | None
    lead: str
    contributor: str
    notes: str
    line: int | None
    targets: list[TargetOut]
    budget_lines: list[BudgetLineOut]


class MeasureOut(Schema):
    id: int
    number: int
    title: str
    line: int | None
    activities: list[ActivityOut]


class ObjectiveOut(Schema):
    code: str
    printed_code: str
    title: str
    line: int | None
    measures: list[MeasureOut]


class PriorityOut(Schema):
    number: int
    title: str
    line: int | None
    objectives: list[ObjectiveOut]


class DeclaredTotalOut(Schema):
    priority: int | None
    objective: str | None
    where: str
    group: str
    printed: str
    amount: int
    line: int | None
    label: str


class PlanOut(PlanSummaryOut):
    vision: str
    mission: str
    general_goal: str
    source_document: str
    priorities: list[PriorityOut]
    declared_totals: list[DeclaredTotalOut]


class AmountsOut(Schema):
    total: int
    municipality: int
    non_municipal: int
    by_source: dict[str, int]
    printed_once: int
    budget_lines: int
    unknown_lines: int


class ComparisonOut(DeclaredTotalOut):
    computed: int
    difference: int
    agrees: bool


class ScopeOut(Schema):
    scope: str
    priority: int | None
    objective: str | None
    computed: AmountsOut
    declared: list[ComparisonOut]
    discrepancies: list[ComparisonOut]


class ConflictOut(Schema):
    scope: str
    group: str
    figures: list[DeclaredTotalOut]


class ArithmeticOut(Schema):
    check: str
    kind: str
    scope: str
    group: str
    parts: list[DeclaredTotalOut]
    parts_sum: int
    stated: DeclaredTotalOut
    difference: int
    agrees: bool


class LineRefOut(BudgetLineOut):
    activity_id: int
    activity_code: str
    priority: int


class BudgetOut(Schema):
    plan: str
    rule: str
    whole: ScopeOut
    priorities: list[ScopeOut]
    objectives: list[ScopeOut]
    conflicts_between_declared_totals: list[ConflictOut]
    arithmetic_of_declared_totals: list[ArithmeticOut]
    interpretations: list[LineRefOut]
    unknown_amounts: list[LineRefOut]


def _summary(plan: Plan) -> dict:
    return {
        "slug": plan.slug,
        "title": plan.title,
        "municipality": plan.municipality.name,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
    }


def _declared(total) -> dict:
    return {
        "priority": total.priority.number if total.priority_id else None,
        "objective": total.objective.code if total.objective_id else None,
        "where": total.where,
        "group": total.group,
        "printed": total.printed,
        "amount": total.amount,
        "line": total.line,
        "label": total.label,
    }


def _line(line) -> dict:
    return {
        "printed": line.printed,
        "amount": line.amount,
        "per_year": line.per_year,
        "total": line.total,
        "source": line.source,
        "funder": line.funder,
        "interpretation": line.interpretation,
        "line": line.line,
    }


def _amounts(amounts: Amounts) -> dict:
    return {
        "total": amounts.total,
        "municipality": amounts.municipality,
        "non_municipal": amounts.non_municipal,
        "by_source": amounts.by_source,
        "printed_once": amounts.printed_once,
        "budget_lines": amounts.line_count,
        "unknown_lines": amounts.unknown_lines,
    }


def _comparison(c: Comparison) -> dict:
    return {
        **_declared(c.declared),
        "computed": c.computed,
        "difference": c.difference,
        "agrees": c.agrees,
    }


def _scope(scope: Scope) -> dict:
    comparisons = [_comparison(c) for c in scope.comparisons]
    return {
        "scope": scope.label,
        "priority": scope.priority,
        "objective": scope.objective,
        "computed": _amounts(scope.amounts),
        "declared": comparisons,
        "discrepancies": [c for c in comparisons if not c["agrees"]],
    }


@router.get("", response=list[PlanSummaryOut], summary="List plans")
def list_plans(request):
    return [_summary(p) for p in Plan.objects.select_related("municipality")]


@router.get("/{slug}", response={200: PlanOut, **NOT_FOUND}, summary="A plan with its whole tree")
def get_plan(request, slug: str = Path(..., max_length=100, pattern=SLUG)):
    plan = get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)
    priorities = Priority.objects.filter(plan=plan).prefetch_related(
        Prefetch(
            "objectives",
            queryset=Objective.objects.prefetch_related(
                Prefetch(
                    "measures",
                    queryset=Measure.objects.prefetch_related(
                        Prefetch("activities", queryset=activities_queryset())
                    ),
                )
            ),
        )
    )
    tree = []
    for priority in priorities:
        objectives = []
        for objective in priority.objectives.all():
            measures = []
            for measure in objective.measures.all():
                activities = [
                    {
                        "id": a.pk,
                        "code": a.code,
                        "parent": a.parent.code if a.parent_id else None,
                        "title": a.title,
                        "indicator": a.indicator,
                        "start_year": a.start_year,
                        "end_year": a.end_year,
                        "lead": a.lead,
                        "contributor": a.contributor,
                        "notes": a.notes,
                        "line": a.line,
                        "targets": [
                            {
                                "text": t.text,
                                "measurable": t.parsed,
                                "value": t.value,
                                "unit": t.unit,
                                "per": t.per or None,
                                "years": t.years or (a.years if t.parsed else []),
                            }
                            for t in a.targets.all()
                        ],
                        "budget_lines": [_line(b) for b in a.budget_lines.all()],
                    }
                    for a in measure.activities.all()
                ]
                measures.append(
                    {
                        "id": measure.pk,
                        "number": measure.number,
                        "title": measure.title,
                        "line": measure.line,
                        "activities": activities,
                    }
                )
            objectives.append(
                {
                    "code": objective.code,
                    "printed_code": objective.printed_code,
                    "title": objective.title,
                    "line": objective.line,
                    "measures": measures,
                }
            )
        tree.append(
            {
                "number": priority.number,
                "title": priority.title,
                "line": priority.line,
                "objectives": objectives,
            }
        )
    declared = plan.declared_totals.select_related("priority", "objective")
    return {
        **_summary(plan),
        "vision": plan.vision,
        "mission": plan.mission,
        "general_goal": plan.general_goal,
        "source_document": plan.source_document,
        "priorities": tree,
        "declared_totals": [_declared(t) for t in declared],
    }


@router.get(
    "/{slug}/budget",
    response={200: BudgetOut, **NOT_FOUND},
    summary="Budget computed and reconciled",
)
def get_budget(request, slug: str = Path(..., max_length=100, pattern=SLUG)):
    plan = get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)
    report = reconcile(plan)

    def ref(line):
        return {
            **_line(line),
            "activity_id": line.activity_id,
            "activity_code": line.activity.code,
            "priority": line.activity.measure.objective.priority.number,
        }

    return {
        "plan": plan.slug,
        "rule": "Amounts in lek. A per-year amount counts once for each year of its activity; "
        "'municipality' is the municipality's own funds, every other source is non-municipal. "
        "Budget lines with no readable amount are counted in unknown_lines, never as zero.",
        "whole": _scope(report.whole),
        "priorities": [_scope(s) for s in report.priorities],
        "objectives": [_scope(s) for s in report.objectives],
        "conflicts_between_declared_totals": [
            {"scope": c.label, "group": c.group, "figures": [_declared(t) for t in c.figures]}
            for c in report.conflicts
        ],
        "arithmetic_of_declared_totals": [
            {
                "check": a.label,
                "kind": a.kind,
                "scope": a.scope,
                "group": a.group,
                "parts": [_declared(p) for p in a.parts],
                "parts_sum": a.sum,
                "stated": _declared(a.stated),
                "difference": a.difference,
                "agrees": a.agrees,
            }
            for a in report.arithmetic
        ],
        "interpretations": [ref(line) for line in report.interpretations],
        "unknown_amounts": [ref(line) for line in report.unknown_amounts],
    }
