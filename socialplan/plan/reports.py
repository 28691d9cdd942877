"""Plain data for the plan pages: the tree with money, and funding still needed."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from .models import Activity, BudgetLine, FundingSource, Measure, Objective, Plan, Priority
from .reconciliation import Amounts


def amounts_of(lines) -> Amounts:
    amounts = Amounts()
    for line in lines:
        amounts.add(line)
    return amounts


def activities_queryset():
    # The measure chain up to the plan builds each activity's URL.
    return Activity.objects.select_related(
        "parent", "measure__objective__priority__plan"
    ).prefetch_related("targets", "budget_lines")


def priority_tree(priority: Priority) -> list[Objective]:
    """Objectives with measures and activities prefetched, each with its amounts."""
    objectives = list(
        priority.objectives.prefetch_related(
            Prefetch(
                "measures",
                queryset=Measure.objects.prefetch_related(
                    Prefetch("activities", queryset=activities_queryset())
                ),
            )
        )
    )
    for objective in objectives:
        objective_lines = []
        for measure in objective.measures.all():
            measure_lines = []
            for activity in measure.activities.all():
                activity.amounts = amounts_of(activity.budget_lines.all())
                measure_lines.extend(activity.budget_lines.all())
            measure.amounts = amounts_of(measure_lines)
            objective_lines.extend(measure_lines)
        objective.amounts = amounts_of(objective_lines)
    return objectives


@dataclass
class FundingPriority:
    priority: Priority
    lines: list[BudgetLine] = field(default_factory=list)
    by_year: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


@dataclass
class FundingNeeded:
    plan: Plan
    years: list[int]
    priorities: list[FundingPriority]
    by_year: dict[int, int]
    unknown_lines: list[BudgetLine]

    @property
    def total(self) -> int:
        return sum(p.total for p in self.priorities)

    @property
    def line_count(self) -> int:
        return sum(len(p.lines) for p in self.priorities)


def funding_needed(plan: Plan) -> FundingNeeded:
    """Every budget line from a donor not yet secured, by priority and year."""
    lines = (
        BudgetLine.objects.filter(
            activity__measure__objective__priority__plan=plan,
            source=FundingSource.DONOR_UNCOVERED,
        )
        .select_related("activity__measure__objective__priority__plan")
        .order_by(
            "activity__measure__objective__priority__number",
            "activity__measure__objective__position",
            "activity__measure__number",
            "activity__position",
            "position",
        )
    )
    groups: dict[int, FundingPriority] = {}
    by_year: dict[int, int] = defaultdict(int)
    unknown = []
    for line in lines:
        priority = line.activity.measure.objective.priority
        group = groups.setdefault(priority.number, FundingPriority(priority))
        if line.amount is None:
            unknown.append(line)
            continue
        group.lines.append(line)
        line.years_split = line.amount_by_year()
        for year, amount in line.years_split.items():
            group.by_year[year] = group.by_year.get(year, 0) + amount
            by_year[year] += amount
    years = sorted(set(plan.years) | set(by_year))
    return FundingNeeded(plan, years, list(groups.values()), dict(by_year), unknown)
