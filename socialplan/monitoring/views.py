from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialplan import disclosure
from socialplan.accounts.audit import record
from socialplan.charts.svg import bar_chart
from socialplan.plan.models import Activity, Plan
from socialplan.plan.reports import activities_queryset

from . import actions
from .access import (
    get_report,
    may_approve,
    may_edit,
    may_read,
    may_reopen,
    reporting_scope,
    reports_for,
    visible_reports,
)
from .forms import EvidenceForm, ProgressForm, ReasonForm
from .indicators import indicator_rows
from .models import Evidence, ProgressReport
from .reports import budget_execution, progress, reports_by_reporter, services_by_funding

STALE = gettext_lazy(
    "Someone else changed this report after you opened it. Nothing was saved: reload the page."
)
# Computed indicators that count people: shown to the public only from 5 up.
PEOPLE_METRICS = {"njvrn_cases", "people_served"}


def _plan(slug) -> Plan:
    return get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)


def _dashboard_context(plan, year, *, public):
    rows = progress(plan, year)
    funding = services_by_funding(plan)
    budget = budget_execution(plan, year)
    indicators = indicator_rows(plan, year)
    if public:
        for row in indicators:
            link = getattr(row.target, "link", None)
            if (
                row.computed
                and link
                and link.metric in PEOPLE_METRICS
                and row.actual is not None
                and disclosure.small(row.actual)
            ):
                row.actual, row.how = None, _("fewer than 5 people: not shown")
    done_chart = bar_chart(
        [(f"P{p.priority.number}", p.by_status.get("done", 0)) for p in rows],
        title=_("Activities done in %(y)s, by priority") % {"y": year},
    )
    budget_chart = bar_chart(
        [(str(label), spent) for _c, label, _p, spent in budget.rows()],
        title=_("Spent in %(y)s by funding source (lek)") % {"y": year},
    )
    return {
        "plan": plan,
        "year": year,
        "years": plan.years,
        "progress": rows,
        "budget": budget,
        "indicators": indicators,
        "done_chart": done_chart,
        "budget_chart": budget_chart,
        "public": public,
        "statuses": ProgressReport.Status.choices,
        "by_reporter": [
            (name, [c.get(code, 0) for code in ProgressReport.Status.values])
            for name, c in reports_by_reporter(plan, year)
        ],
        "funding": funding,
        "funding_chart": bar_chart(
            [(label, n) for label, n, _share in funding],
            title=_("Active services by funding"),
        ),
    }


@login_required
def dashboard(request, slug, year):
    plan = _plan(slug)
    if not may_read(request.user, plan.municipality_id):
        raise PermissionDenied
    return render(
        request, "monitoring/dashboard.html", _dashboard_context(plan, year, public=False)
    )


def dashboard_public(request, slug, year):
    plan = _plan(slug)
    return render(request, "monitoring/dashboard.html", _dashboard_context(plan, year, public=True))


@login_required
def report_list(request, slug, year):
    plan = _plan(slug)
    if not may_read(request.user, plan.municipality_id):
        raise PermissionDenied
    reports = visible_reports(
        request.user,
        ProgressReport.objects.filter(plan=plan, year=year).select_related(
            "activity", "organisation", "unit"
        ),
    )
    by_activity = {}
    for report in reports:
        by_activity.setdefault(report.activity_id, []).append(report)
    activities = [
        a
        for a in Activity.objects.filter(
            measure__objective__priority__plan=plan, parent__isnull=True
        )
        .select_related("measure__objective__priority")
        .order_by(
            "measure__objective__priority__number",
            "measure__objective__position",
            "measure__number",
            "position",
        )
        if not a.years or year in a.years
    ]
    return render(
        request,
        "monitoring/report_list.html",
        {
            "plan": plan,
            "year": year,
            "rows": [(a, by_activity.get(a.pk, [])) for a in activities],
            "can_report": reporting_scope(request.user, plan.municipality_id) is not None,
        },
    )


def _report_for(user, pk) -> ProgressReport:
    return get_report(user, pk)


@login_required
def report_create(request, slug, year, activity_pk):
    plan = _plan(slug)
    scope = reporting_scope(request.user, plan.municipality_id)
    if scope is None:
        raise PermissionDenied
    activity = get_object_or_404(
        activities_queryset(), pk=activity_pk, measure__objective__priority__plan=plan
    )
    organisation, unit = scope
    existing = ProgressReport.objects.filter(
        activity=activity, year=year, quarter=0, organisation=organisation, unit=unit
    ).first()
    if existing:
        return redirect(existing)
    if year not in plan.years:
        raise Http404
    form = ProgressForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        report = ProgressReport(
            plan=plan, activity=activity, year=year, organisation=organisation, unit=unit
        )
        actions.save_report(
            request=request,
            by=request.user,
            report=report,
            status=form.cleaned_data["status"],
            narrative=form.cleaned_data["narrative"],
            actuals=form.actuals(),
            spending=form.spending(),
        )
        return redirect(report)
    return render(
        request,
        "monitoring/report_form.html",
        {"form": form, "activity": activity, "year": year, "plan": plan},
    )


@login_required
def report_detail(request, pk):
    report = _report_for(request.user, pk)
    return render(
        request,
        "monitoring/report.html",
        {
            "report": report,
            "actuals": report.actuals.select_related("target"),
            "spending": report.spending.select_related("budget_line"),
            "evidence": report.evidence.all(),
            "can_edit": may_edit(request.user, report),
            "can_approve": report.state == ProgressReport.State.SUBMITTED
            and may_approve(request.user, report),
            "can_reopen": report.state == ProgressReport.State.APPROVED
            and may_reopen(request.user, report),
            "reason_form": ReasonForm(),
            "evidence_form": EvidenceForm(),
        },
    )


@login_required
def report_edit(request, pk):
    report = _report_for(request.user, pk)
    if not may_edit(request.user, report):
        raise PermissionDenied
    activity = get_object_or_404(activities_queryset(), pk=report.activity_id)
    initial = {"status": report.status, "narrative": report.narrative, "version": report.version}
    initial.update({f"target_{a.target_id}": a.value for a in report.actuals.all()})
    initial.update({f"line_{s.budget_line_id}": s.amount for s in report.spending.all()})
    form = ProgressForm(request.POST or None, activity=activity, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_report(
                request=request,
                by=request.user,
                report=report,
                status=form.cleaned_data["status"],
                narrative=form.cleaned_data["narrative"],
                actuals=form.actuals(),
                spending=form.spending(),
                version=form.cleaned_data["version"],
            )
        except actions.StaleReport:
            form.add_error(None, STALE)
        else:
            return redirect(report)
    return render(
        request,
        "monitoring/report_form.html",
        {
            "form": form,
            "activity": activity,
            "year": report.year,
            "plan": report.plan,
            "report": report,
        },
    )


def _workflow(request, pk, step):
    report = _report_for(request.user, pk)
    try:
        step(report)
    except actions.StaleReport:
        messages.error(request, STALE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(report)


@login_required
@require_POST
def report_submit(request, pk):
    def step(report):
        if not reports_for(request.user, report):
            raise PermissionDenied
        actions.submit(request=request, by=request.user, report=report)

    return _workflow(request, pk, step)


@login_required
@require_POST
def report_return(request, pk):
    reason = request.POST.get("reason", "")
    return _workflow(
        request,
        pk,
        lambda r: actions.return_report(request=request, by=request.user, report=r, reason=reason),
    )


@login_required
@require_POST
def report_approve(request, pk):
    return _workflow(
        request, pk, lambda r: actions.approve(request=request, by=request.user, report=r)
    )


@login_required
@require_POST
def report_reopen(request, pk):
    reason = request.POST.get("reason", "")
    return _workflow(
        request,
        pk,
        lambda r: actions.reopen(request=request, by=request.user, report=r, reason=reason),
    )


@login_required
@require_POST
def evidence_upload(request, pk):
    report = _report_for(request.user, pk)
    if not reports_for(request.user, report):
        raise PermissionDenied
    if not report.editable:
        messages.error(request, _("Evidence can only be added while the report is a draft."))
        return redirect(report)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        evidence = Evidence.objects.create(
            report=report, file=upload, name=upload.name[-200:], uploaded_by=request.user
        )
        record(request, "create", evidence, summary=f"evidence for progress report {report.pk}")
    else:
        messages.error(request, " ".join(form.errors.get("file", [_("The file was refused.")])))
    return redirect(report)


@login_required
def evidence_download(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("report"), pk=pk)
    _report_for(request.user, evidence.report_id)  # the same access as the report
    record(request, "export", evidence)
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)
    # Saved, never shown in the site's origin; and never sniffed as something else.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
