"""Plain data for the monitoring dashboards and the annual report (tested without HTTP)."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum

from socialplan.plan.models import Activity, BudgetLine, FundingSource, Plan
from socialplan.plan.reports import funding_needed

from .indicators import IndicatorRow, indicator_rows
from .models import Consultation, FrameRow, ProgressReport, Spending

Status = ProgressReport.Status


@dataclass
class MeasureProgress:
    measure: object
    activities: int
    by_status: Counter  # status -> activities (latest approved report of the year), "none" if none

    @property
    def done(self) -> int:
        return self.by_status.get(Status.DONE, 0)

    @property
    def counts(self) -> list[int]:
        """Activities per status, in the order of ProgressReport.Status (for templates)."""
        return [self.by_status.get(code, 0) for code in Status.values]

    @property
    def not_reported(self) -> int:
        return self.by_status.get("none", 0)


@dataclass
class PriorityProgress:
    priority: object
    measures: list[MeasureProgress] = field(default_factory=list)

    @property
    def by_status(self) -> Counter:
        total = Counter()
        for m in self.measures:
            total.update(m.by_status)
        return total

    @property
    def activities(self) -> int:
        return sum(m.activities for m in self.measures)

    @property
    def counts(self) -> list[int]:
        return [self.by_status.get(code, 0) for code in Status.values]

    @property
    def not_reported(self) -> int:
        return self.by_status.get("none", 0)


@dataclass
class BudgetExecution:
    """Planned (the plan's lines, spread by year) against spent (approved reports), by source."""

    year: int
    planned: dict[str, int]
    spent: dict[str, int]

    def rows(self):
        labels = dict(FundingSource.choices)
        return [
            (code, labels[code], self.planned.get(code, 0), self.spent.get(code, 0))
            for code in FundingSource.values
            if self.planned.get(code) or self.spent.get(code)
        ]

    @property
    def planned_total(self) -> int:
        return sum(self.planned.values())

    @property
    def spent_total(self) -> int:
        return sum(self.spent.values())


def activity_statuses(plan: Plan, year: int) -> dict[int, str]:
    """The status each activity has in the approved reports of the year (the most advanced wins
    for an activity several reporters report on: delayed beats on track, done beats both)."""
    rank = {
        Status.NOT_STARTED: 0,
        Status.ON_TRACK: 1,
        Status.DELAYED: 2,
        Status.DONE: 3,
        Status.CANCELLED: 4,
    }
    statuses: dict[int, str] = {}
    for activity_id, status in ProgressReport.objects.filter(
        plan=plan, year=year, state=ProgressReport.State.APPROVED
    ).values_list("activity_id", "status"):
        if activity_id not in statuses or rank[status] > rank[statuses[activity_id]]:
            statuses[activity_id] = status
    return statuses


def progress(plan: Plan, year: int) -> list[PriorityProgress]:
    statuses = activity_statuses(plan, year)
    activities = (
        # Leaves: a parent row (A 1.2) is reported through its sub-activities.
        Activity.objects.filter(measure__objective__priority__plan=plan, children__isnull=True)
        .select_related("measure__objective__priority")
        .order_by(
            "measure__objective__priority__number",
            "measure__objective__position",
            "measure__number",
        )
    )
    priorities: dict[int, PriorityProgress] = {}
    measures: dict[int, MeasureProgress] = {}
    for activity in activities:
        # Only activities running that year are expected to report.
        if activity.years and year not in activity.years:
            continue
        measure = activity.measure
        priority = measure.objective.priority
        group = priorities.setdefault(priority.pk, PriorityProgress(priority))
        if measure.pk not in measures:
            measures[measure.pk] = MeasureProgress(measure, 0, Counter())
            group.measures.append(measures[measure.pk])
        measures[measure.pk].activities += 1
        measures[measure.pk].by_status[statuses.get(activity.pk, "none")] += 1
    return list(priorities.values())


def budget_execution(plan: Plan, year: int) -> BudgetExecution:
    planned: dict[str, int] = defaultdict(int)
    for line in BudgetLine.objects.filter(
        activity__measure__objective__priority__plan=plan
    ).select_related("activity"):
        planned[line.source] += line.amount_by_year().get(year, 0)
    spent = dict(
        Spending.objects.filter(
            report__plan=plan, report__year=year, report__state=ProgressReport.State.APPROVED
        )
        .values("budget_line__source")
        .annotate(total=Sum("amount"))
        .values_list("budget_line__source", "total")
    )
    return BudgetExecution(year, dict(planned), spent)


@dataclass
class AnnualReportData:
    """Everything the annual monitoring report says, for one plan and year."""

    plan: Plan
    year: int
    progress: list[PriorityProgress]
    indicators: list[IndicatorRow]
    budget: BudgetExecution
    funding_needed: object
    consultations: list[Consultation]
    frame: list[FrameRow]
    gaps: list[tuple]  # (measure, activities not reported, activities delayed)

    @property
    def activity_count(self) -> int:
        return sum(p.activities for p in self.progress)

    @property
    def reported(self) -> int:
        return sum(p.activities - p.by_status.get("none", 0) for p in self.progress)

    @property
    def done(self) -> int:
        return sum(p.by_status.get(Status.DONE, 0) for p in self.progress)


def annual_report(plan: Plan, year: int) -> AnnualReportData:
    progress_rows = progress(plan, year)
    gaps = []
    for group in progress_rows:
        for measure_row in group.measures:
            missing = measure_row.by_status.get("none", 0)
            delayed = measure_row.by_status.get(Status.DELAYED, 0)
            if missing or delayed:
                gaps.append((measure_row.measure, missing, delayed))
    return AnnualReportData(
        plan=plan,
        year=year,
        progress=progress_rows,
        indicators=indicator_rows(plan, year),
        budget=budget_execution(plan, year),
        funding_needed=funding_needed(plan),
        consultations=list(
            Consultation.objects.filter(plan=plan, date__year=year).prefetch_related(
                "recommendations__activity"
            )
        ),
        frame=list(
            FrameRow.objects.filter(objective__priority__plan=plan).select_related("objective")
        ),
        gaps=gaps,
    )


def reports_by_reporter(plan: Plan, year: int) -> list[tuple[str, Counter]]:
    """Approved reports of the year by who reported (a unit, a provider, the directorate)."""
    rows: dict[str, Counter] = {}
    for report in ProgressReport.objects.filter(
        plan=plan, year=year, state=ProgressReport.State.APPROVED
    ).select_related("organisation", "unit"):
        rows.setdefault(report.reporter, Counter())[report.status] += 1
    return sorted(rows.items())


def services_by_funding(plan: Plan) -> list[tuple[str, int, float]]:
    """The diagnosis' financing figure (Figure 9 in Durrës), from the directory:
    active services by how they are funded, with their share."""
    from socialplan.directory.models import Funding, Service

    counts = Counter(
        Service.objects.filter(municipality=plan.municipality)
        .exclude(status=Service.Status.CLOSED)
        .values_list("funding", flat=True)
    )
    total = sum(counts.values()) or 1
    labels = dict(Funding.choices)
    return [(labels[code], n, n / total) for code, n in counts.most_common()]
