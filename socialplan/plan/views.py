from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from socialplan.accounts.access import MANAGERS, manages_municipality, memberships

from .forms import RevisionForm
from .models import Measure, Objective, Plan, Priority
from .reconciliation import reconcile
from .reports import activities_queryset, amounts_of, funding_needed, priority_tree
from .revisions import baseline_of, create_revision, diff, versions_of


def _plan(slug: str) -> Plan:
    return get_object_or_404(Plan.objects.select_related("municipality", "revision_of"), slug=slug)


def _managed_plan(user, slug: str) -> Plan:
    """The plan, for a director or planner of its municipality: 404 if absent, 403 if not."""
    plan = _plan(slug)
    if not manages_municipality(user, plan.municipality_id):
        raise PermissionDenied
    return plan


def plan_list(request):
    plans = Plan.objects.select_related("municipality")
    can_import = request.user.is_superuser or any(
        m.role in MANAGERS for m in memberships(request.user)
    )
    return render(request, "plan/plan_list.html", {"plans": plans, "can_import": can_import})


def overview(request, slug):
    plan = _plan(slug)
    report = reconcile(plan)
    priorities = {
        p.number: p for p in plan.priorities.annotate(measure_count=Count("objectives__measures"))
    }
    rows = [(priorities[s.priority], s) for s in report.priorities]
    return render(
        request,
        "plan/overview.html",
        {
            "plan": plan,
            "report": report,
            "rows": rows,
            "can_revise": manages_municipality(request.user, plan.municipality_id),
        },
    )


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


def versions(request, slug):
    plan = _plan(slug)
    return render(
        request,
        "plan/versions.html",
        {
            "plan": plan,
            "versions": versions_of(plan),
            "can_revise": manages_municipality(request.user, plan.municipality_id),
        },
    )


@login_required
def revise(request, slug):
    plan = _managed_plan(request.user, slug)
    form = RevisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        revision = create_revision(
            request=request,
            plan=plan,
            by=request.user,
            reason=form.cleaned_data["reason"],
            council_decision=form.cleaned_data["council_decision"],
        )
        messages.success(
            request,
            _("Version %(n)s created. Edit its content in the administration.")
            % {"n": revision.revision_number},
        )
        return redirect(revision)
    return render(request, "plan/revise.html", {"plan": plan, "form": form})


def plan_diff(request, slug, other_slug):
    plan = _plan(slug)
    other = _plan(other_slug)
    # Only versions of the same adopted plan compare meaningfully.
    if baseline_of(plan).pk != baseline_of(other).pk:
        raise Http404
    return render(request, "plan/diff.html", {"plan": plan, "diff": diff(plan, other)})
