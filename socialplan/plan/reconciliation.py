"""Compare the plan's budget lines with the totals the document declares.

Plain data objects, built from two queries and tested without HTTP; the
budget page, the JSON API and (later) the annual report lay them out.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from .models import BudgetLine, DeclaredTotal, FundingSource, Plan

Group = DeclaredTotal.Group


@dataclass
class Amounts:
    """Computed money for one scope: per-year lines count once per year."""

    by_source: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(FundingSource.values, 0)
    )
    # The same, with every printed amount counted once (how a reader adding
    # up the column would get it); shown to explain differences.
    printed_once: int = 0
    unknown_lines: int = 0
    line_count: int = 0

    def add(self, line: BudgetLine) -> None:
        self.line_count += 1
        if line.amount is None:
            self.unknown_lines += 1
            return
        self.by_source[line.source] += line.total
        self.printed_once += line.amount

    @property
    def total(self) -> int:
        return sum(self.by_source.values())

    @property
    def municipality(self) -> int:
        return self.by_source[FundingSource.MUNICIPALITY]

    @property
    def non_municipal(self) -> int:
        return self.total - self.municipality

    def for_group(self, group: str) -> int:
        return {
            Group.TOTAL: self.total,
            Group.MUNICIPALITY: self.municipality,
            Group.NON_MUNICIPAL: self.non_municipal,
        }[group]

    def share(self, source: str) -> float:
        return self.by_source[source] / self.total if self.total else 0.0

    def sources(self) -> list[tuple[str, str, int, float]]:
        """(code, label, amount, share) for every source with money, largest first."""
        rows = [
            (code, label, self.by_source[code], self.share(code))
            for code, label in FundingSource.choices
            if self.by_source[code]
        ]
        return sorted(rows, key=lambda r: -r[2])


@dataclass
class Comparison:
    """A declared total beside the computed figure for the same scope and group."""

    declared: DeclaredTotal
    computed: int

    @property
    def difference(self) -> int:
        return self.declared.amount - self.computed

    @property
    def agrees(self) -> bool:
        return self.difference == 0


@dataclass
class Scope:
    label: str
    priority: int | None
    objective: str | None
    amounts: Amounts
    comparisons: list[Comparison] = field(default_factory=list)


@dataclass
class ArithmeticCheck:
    """Declared figures that should add up to another declared figure.

    kind: "row" (municipality + non-municipal = total in one row of a table),
    "column" (the priorities' rows = the plan's row), or "sheets" (the action
    sheets of a priority's objectives = the priority in the summary table).
    """

    kind: str
    scope: str
    group: str
    parts: list[DeclaredTotal]
    stated: DeclaredTotal

    @property
    def label(self) -> str:
        # Language-neutral: pages build their own sentence from the fields.
        return f"{self.kind}: {self.stated.where}, {self.scope}, {self.group}"

    @property
    def sum(self) -> int:
        return sum(p.amount for p in self.parts)

    @property
    def difference(self) -> int:
        return self.stated.amount - self.sum

    @property
    def agrees(self) -> bool:
        return self.difference == 0


@dataclass
class Conflict:
    """Two or more places print different figures for the same scope and group."""

    label: str
    group: str
    figures: list[DeclaredTotal]


@dataclass
class Reconciliation:
    plan: Plan
    whole: Scope
    priorities: list[Scope]
    objectives: list[Scope]
    conflicts: list[Conflict]
    arithmetic: list[ArithmeticCheck]
    interpretations: list[BudgetLine]
    unknown_amounts: list[BudgetLine]

    @property
    def discrepancies(self) -> list[Comparison]:
        scopes = [self.whole, *self.priorities, *self.objectives]
        return [c for s in scopes for c in s.comparisons if not c.agrees]

    @property
    def failed_arithmetic(self) -> list[ArithmeticCheck]:
        return [a for a in self.arithmetic if not a.agrees]


def _scope_label(priority: int | None, objective: str | None) -> str:
    if objective:
        return f"OS {objective}"
    if priority:
        return f"P{priority}"
    return "plan"


def reconcile(plan: Plan) -> Reconciliation:
    lines = list(
        BudgetLine.objects.filter(activity__measure__objective__priority__plan=plan)
        .select_related("activity__measure__objective__priority__plan")
        .order_by(
            "activity__measure__objective__priority__number",
            "activity__measure__objective__position",
            "activity__measure__number",
            "activity__position",
            "position",
        )
    )
    declared = list(
        plan.declared_totals.select_related("priority", "objective").order_by("position")
    )

    whole = Scope("plan", None, None, Amounts())
    by_priority: dict[int, Scope] = {}
    by_objective: dict[str, Scope] = {}
    objective_counts: dict[int, int] = {}
    for priority in plan.priorities.prefetch_related("objectives"):
        objective_counts[priority.number] = len(priority.objectives.all())
        by_priority[priority.number] = Scope(
            _scope_label(priority.number, None), priority.number, None, Amounts()
        )
        for objective in priority.objectives.all():
            by_objective[objective.code] = Scope(
                _scope_label(priority.number, objective.code),
                priority.number,
                objective.code,
                Amounts(),
            )
    for line in lines:
        objective = line.activity.measure.objective
        whole.amounts.add(line)
        by_priority[objective.priority.number].amounts.add(line)
        by_objective[objective.code].amounts.add(line)

    for total in declared:
        if total.objective_id:
            scope = by_objective[total.objective.code]
        elif total.priority_id:
            scope = by_priority[total.priority.number]
        else:
            scope = whole
        scope.comparisons.append(Comparison(total, scope.amounts.for_group(total.group)))

    return Reconciliation(
        plan=plan,
        whole=whole,
        priorities=list(by_priority.values()),
        objectives=[s for s in by_objective.values() if s.comparisons],
        conflicts=_conflicts(declared),
        arithmetic=_arithmetic(declared, objective_counts),
        interpretations=[line for line in lines if line.interpretation],
        unknown_amounts=[line for line in lines if line.amount is None],
    )


def _key(total: DeclaredTotal):
    return (
        total.priority.number if total.priority_id else None,
        total.objective.code if total.objective_id else None,
    )


def _conflicts(declared: list[DeclaredTotal]) -> list[Conflict]:
    groups: dict[tuple, list[DeclaredTotal]] = defaultdict(list)
    for total in declared:
        groups[(*_key(total), total.group)].append(total)
    conflicts = []
    for (priority, objective, group), totals in groups.items():
        if len({t.amount for t in totals}) > 1:
            conflicts.append(Conflict(_scope_label(priority, objective), group, totals))
    return conflicts


def _arithmetic(
    declared: list[DeclaredTotal], objective_counts: dict[int, int]
) -> list[ArithmeticCheck]:
    """Checks within each printed table: parts against the total they print."""
    checks = []
    by_where: dict[str, list[DeclaredTotal]] = defaultdict(list)
    for total in declared:
        by_where[total.where].append(total)
    for totals in by_where.values():
        cell = {(*_key(t), t.group): t for t in totals}
        # municipality + non-municipal = total, in each row of the same table
        for (priority, objective, group), stated in cell.items():
            if group != Group.TOTAL:
                continue
            groups = (Group.MUNICIPALITY, Group.NON_MUNICIPAL)
            parts = [cell.get((priority, objective, g)) for g in groups]
            if all(parts):
                scope = _scope_label(priority, objective)
                checks.append(ArithmeticCheck("row", scope, group, parts, stated))
        # the priorities' rows add up to the plan's row
        for group in Group.values:
            stated = cell.get((None, None, group))
            parts = [
                t for (p, o, g), t in cell.items() if p is not None and o is None and g == group
            ]
            if stated and parts:
                checks.append(ArithmeticCheck("column", "plan", group, parts, stated))
    # Where each objective of a priority has a declared total (action sheets),
    # they should add up to the priority's declared total in the summary.
    sheets: dict[tuple, list[DeclaredTotal]] = defaultdict(list)
    for total in declared:
        if total.objective_id:
            sheets[(total.priority.number, total.group)].append(total)
    summary = {
        (t.priority.number, t.group): t
        for t in declared
        if t.where == DeclaredTotal.Where.SUMMARY_TABLE and t.priority_id and not t.objective_id
    }
    for (priority, group), parts in sheets.items():
        objectives = {p.objective_id for p in parts}
        stated = summary.get((priority, group))
        if stated and len(objectives) == objective_counts.get(priority) and len(parts) > 1:
            checks.append(ArithmeticCheck("sheets", f"P{priority}", group, parts, stated))
    return checks
