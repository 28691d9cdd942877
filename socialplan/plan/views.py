from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from .models import Measure, Objective, Plan, Priority
from .reconciliation import reconcile
from .reports import activities_queryset, amounts_of, funding_needed, priority_tree


def _plan(slug: str) -> Plan:
    return get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)


def plan_list(request):
    plans = Plan.objects.select_related("municipality")
    return render(request, "plan/plan_list.html", {"plans": plans})


def overview(request, slug):
    plan = _plan(slug)
    report = reconcile(plan)
    priorities = {
        p.number: p for p in plan.priorities.annotate(measure_count=Count("objectives__measures"))
    }
    rows = [(priorities[s.priority], s) for s in report.priorities]
    return render(request, "plan/overview.html", {"plan": plan, "report": report, "rows": rows})


def priority_detail(request, slug, number):
    plan = _plan(slug)
    priority = get_object_or_404(Priority, plan=plan, number=number)
    objectives = priority_tree(priority)
    amounts = amounts_of(
        line
        for o in objectives
        for m in o.measures.all()
        for a in m.activities.all()
        for line in a.budget_lines.all()
    )
    return render(
        request,
        "plan/priority.html",
        {"plan": plan, "priority": priority, "objectives": objectives, "amounts": amounts},
    )


def objective_detail(request, slug, code):
    plan = _plan(slug)
    objective = get_object_or_404(
        Objective.objects.select_related("priority"), priority__plan=plan, code=code
    )
    tree = {o.pk: o for o in priority_tree(objective.priority)}
    objective = tree[objective.pk]
    return render(request, "plan/objective.html", {"plan": plan, "objective": objective})


def measure_detail(request, slug, pk):
    plan = _plan(slug)
    measure = get_object_or_404(
        Measure.objects.select_related("objective__priority"), objective__priority__plan=plan, pk=pk
    )
    activities = list(activities_queryset().filter(measure=measure))
    for activity in activities:
        activity.amounts = amounts_of(activity.budget_lines.all())
    amounts = amounts_of(line for a in activities for line in a.budget_lines.all())
    return render(
        request,
        "plan/measure.html",
        {"plan": plan, "measure": measure, "activities": activities, "amounts": amounts},
    )


def activity_detail(request, slug, pk):
    plan = _plan(slug)
    activity = get_object_or_404(
        activities_queryset().select_related("measure__objective__priority"),
        measure__objective__priority__plan=plan,
        pk=pk,
    )
    activity.amounts = amounts_of(activity.budget_lines.all())
    children = list(activities_queryset().filter(parent=activity))
    return render(
        request,
        "plan/activity.html",
        {"plan": plan, "activity": activity, "children": children},
    )


def budget(request, slug):
    plan = _plan(slug)
    return render(request, "plan/budget.html", {"plan": plan, "report": reconcile(plan)})


def funding(request, slug):
    plan = _plan(slug)
    return render(request, "plan/funding.html", {"plan": plan, "report": funding_needed(plan)})
