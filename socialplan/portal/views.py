"""The public portal: the home page and open data. No login, no personal data.

Every page here runs a constant number of queries, whatever the size of the
plan or of the register.
"""

from collections import Counter

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from socialplan.monitoring.models import AnnualReport, ProgressReport
from socialplan.monitoring.reports import progress
from socialplan.plan.models import BudgetLine, Plan
from socialplan.plan.reports import amounts_of, funding_needed

from . import opendata

Status = ProgressReport.Status
# The statuses the home page counts, in the order shown.
HOME_STATUSES = [Status.DONE, Status.ON_TRACK, Status.DELAYED, Status.NOT_STARTED]


def current_plans() -> list[Plan]:
    """The version in force of each plan (one that no revision replaces), newest first."""
    return list(Plan.objects.select_related("municipality").filter(revisions__isnull=True))


def featured_plan(plans: list[Plan], today) -> Plan | None:
    """The plan whose period holds today, else the first (the newest) one."""
    for plan in plans:
        if plan.period_start <= today <= plan.period_end:
            return plan
    return plans[0] if plans else None


def plan_year(plan: Plan, today) -> int:
    """This year, or the plan's nearest year when today is outside its period."""
    return min(max(today.year, plan.period_start.year), plan.period_end.year)


def home(request):
    today = timezone.localdate()
    plans = current_plans()
    plan = featured_plan(plans, today)
    context = {"plan": plan, "other_plans": [p for p in plans if p != plan]}
    if plan is not None:
        year = plan_year(plan, today)
        lines = list(
            BudgetLine.objects.filter(
                activity__measure__objective__priority__plan=plan
            ).select_related("activity__measure__objective")
        )
        priorities = list(plan.priorities.all())
        for priority in priorities:
            priority.amounts = amounts_of(
                line for line in lines if line.activity.measure.objective.priority_id == priority.pk
            )
        counts = Counter()
        expected = 0
        for group in progress(plan, year):
            counts.update(group.by_status)
            expected += group.activities
        context.update(
            year=year,
            priorities=priorities,
            whole=amounts_of(lines),
            expected=expected,
            statuses=[(code, label, counts.get(code, 0)) for code, label in _labels()],
            not_reported=counts.get("none", 0),
            funding=funding_needed(plan),
            reports=list(
                AnnualReport.objects.filter(plan__municipality=plan.municipality_id)
                .select_related("plan")
                .only("plan__slug", "plan__title", "year", "version", "published_at")
                .order_by("-year", "-version", "-published_at")
            ),
        )
    return render(request, "portal/home.html", context)


def _labels():
    labels = dict(Status.choices)
    return [(code, labels[code]) for code in HOME_STATUSES]


def open_data(request):
    plans = current_plans()
    chosen = request.GET.get("plan")
    plan = next((p for p in plans if p.slug == chosen), None) or featured_plan(
        plans, timezone.localdate()
    )
    return render(
        request,
        "portal/open_data.html",
        {
            "plan": plan,
            "other_plans": [p for p in plans if p != plan],
            "datasets": opendata.DATASETS.values(),
            "formats": list(opendata.FORMATS),
        },
    )


def _plan_and_dataset(slug: str, code: str):
    plan = get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)
    dataset = opendata.DATASETS.get(code)
    if dataset is None:
        raise Http404
    return plan, dataset


def dataset(request, slug, code, fmt):
    plan, dataset = _plan_and_dataset(slug, code)
    if fmt not in opendata.FORMATS:
        raise Http404
    response = HttpResponse(opendata.render(dataset, plan, fmt), content_type=opendata.FORMATS[fmt])
    # Built from codes only (a slug and a dataset code): nothing a user typed.
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}_{dataset.code}.{fmt}"'
    return response


def dictionary(request, slug, code):
    plan, dataset = _plan_and_dataset(slug, code)
    return render(
        request,
        "portal/dictionary.html",
        {"plan": plan, "dataset": dataset, "formats": list(opendata.FORMATS)},
    )
