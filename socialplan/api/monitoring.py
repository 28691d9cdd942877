"""Progress reports on the plan's activities: read, draft, submit, approve, return, reopen.

The same rules as the monitoring pages (monitoring/access.py): the
directorate reads all of its municipality's reports, a provider or a unit
its own; reporters draft and submit; the directorate approves or returns
(never the report's own submitter); the director reopens. Each change leaves
an audit row (monitoring/actions.py).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from ninja import Field, Path, Query, Router, Schema

from socialplan.monitoring import actions
from socialplan.monitoring.access import (
    get_report,
    may_read_any,
    reporting_scope,
    reports_for,
    visible_reports,
)
from socialplan.monitoring.models import ProgressReport
from socialplan.plan.models import Plan
from socialplan.plan.reports import activities_queryset

from .auth import token_auth
from .schemas import (
    MAX_ID,
    RECORD_ERRORS,
    TOKEN_ERRORS,
    Code,
    ErrorOut,
    Id,
    PageParams,
    Reply,
    choice,
    page,
    text,
)

router = Router(tags=["monitoring"], auth=token_auth)

Status = choice(ProgressReport.Status)
State = choice(ProgressReport.State)


class ActivityRef(Schema):
    id: int
    code: str
    title: str


class ActualOut(Schema):
    target: int
    value: Decimal
    note: str


class SpendingOut(Schema):
    budget_line: int
    amount: int
    note: str


class ProgressReportOut(Schema):
    id: int
    plan: str = Field(description="The plan's slug.")
    activity: ActivityRef
    year: int
    quarter: int = Field(description="0 for the whole year, 1-4 for a quarter.")
    reporter: str
    organisation: int | None
    unit: int | None
    status: Status
    narrative: str
    state: State
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None
    approved_at: datetime.datetime | None
    return_reason: str
    reopen_reason: str
    version: int
    actuals: list[ActualOut]
    spending: list[SpendingOut]


class ProgressReportPage(Schema):
    count: int
    items: list[ProgressReportOut]


class ReportFilters(PageParams):
    plan: Code | None = Field(None, description="Only this plan's reports (its slug).")
    year: int | None = Field(None, ge=1900, le=2200)
    state: State | None = None
    activity: Id | None = Field(None, description="Only the reports on this activity (id).")


class ActualIn(Schema):
    target: Id = Field(description="A measurable target of the activity (id).")
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class SpendingIn(Schema):
    budget_line: Id = Field(description="A budget line of the activity (id).")
    amount: int = Field(ge=0, le=10**15, description="Lek spent.")


class ProgressReportIn(Schema):
    plan: Code = Field(description="The plan's slug.")
    activity: Id
    year: int = Field(ge=1900, le=2200)
    status: Status
    narrative: text(10000) = ""
    actuals: list[ActualIn] = Field(default_factory=list, max_length=200)
    spending: list[SpendingIn] = Field(default_factory=list, max_length=200)


class ExistingOut(Schema):
    detail: str
    id: int = Field(description="The report that already exists.")


class ReasonIn(Schema):
    reason: text(2000)


def _reports():
    return ProgressReport.objects.select_related(
        "plan__municipality", "activity", "organisation", "unit"
    ).prefetch_related("actuals", "spending")


def _report(report: ProgressReport) -> dict:
    return {
        "id": report.pk,
        "plan": report.plan.slug,
        "activity": {
            "id": report.activity_id,
            "code": report.activity.code,
            "title": report.activity.title,
        },
        "year": report.year,
        "quarter": report.quarter,
        "reporter": report.reporter,
        "organisation": report.organisation_id,
        "unit": report.unit_id,
        "status": report.status,
        "narrative": report.narrative,
        "state": report.state,
        "created_at": report.created_at,
        "submitted_at": report.submitted_at,
        "approved_at": report.approved_at,
        "return_reason": report.return_reason,
        "reopen_reason": report.reopen_reason,
        "version": report.version,
        "actuals": [
            {"target": a.target_id, "value": a.value, "note": a.note} for a in report.actuals.all()
        ],
        "spending": [
            {"budget_line": s.budget_line_id, "amount": s.amount, "note": s.note}
            for s in report.spending.all()
        ],
    }


def _report_for(user, pk) -> ProgressReport:
    return get_report(user, pk, _reports())


@router.get(
    "",
    response={200: ProgressReportPage, **TOKEN_ERRORS},
    summary="Progress reports this user may read",
)
def list_progress_reports(request, filters: Query[ReportFilters]):
    user = request.user
    if not may_read_any(user):
        raise PermissionDenied("Your role reads no progress report.")
    reports = visible_reports(user, _reports())
    if filters.plan is not None:
        reports = reports.filter(plan__slug=filters.plan)
    if filters.year is not None:
        reports = reports.filter(year=filters.year)
    if filters.state is not None:
        reports = reports.filter(state=filters.state)
    if filters.activity is not None:
        reports = reports.filter(activity_id=filters.activity)
    count, rows = page(
        reports.order_by("plan__slug", "year", "quarter", "activity_id", "pk"), filters
    )
    return {"count": count, "items": [_report(r) for r in rows]}


@router.get(
    "/{id}", response={200: ProgressReportOut, **RECORD_ERRORS}, summary="A progress report"
)
def get_progress_report(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _report(_report_for(request.user, id))


@router.post(
    "",
    response={201: ProgressReportOut, 400: ErrorOut, 409: ExistingOut, **TOKEN_ERRORS},
    summary="Draft a progress report",
    description="For the year's report on an activity, by this user's reporter (the "
    "directorate, their unit or their organisation). One report per reporter and period: a "
    "second answers 409 with the first's id.",
)
def create_progress_report(request, payload: ProgressReportIn):
    plan = Plan.objects.filter(slug=payload.plan).select_related("municipality").first()
    if plan is None:
        return Reply(400, {"detail": "No such plan."})
    scope = reporting_scope(request.user, plan.municipality_id)
    if scope is None:
        raise PermissionDenied("Your role does not report progress in this municipality.")
    activity = (
        activities_queryset()
        .filter(pk=payload.activity, measure__objective__priority__plan=plan)
        .first()
    )
    if activity is None:
        return Reply(400, {"detail": "No such activity in this plan."})
    if payload.year not in plan.years:
        return Reply(400, {"detail": "The year is outside the plan's period."})
    organisation, unit = scope
    existing = ProgressReport.objects.filter(
        activity=activity, year=payload.year, quarter=0, organisation=organisation, unit=unit
    ).first()
    if existing is not None:
        return Reply(409, {"detail": "This report exists already.", "id": existing.pk})
    targets = {t.pk: t for t in activity.targets.all() if t.parsed}
    lines = {b.pk: b for b in activity.budget_lines.all()}
    unknown_targets = [a.target for a in payload.actuals if a.target not in targets]
    unknown_lines = [s.budget_line for s in payload.spending if s.budget_line not in lines]
    if unknown_targets or unknown_lines:
        return Reply(
            400,
            {
                "detail": "Not a measurable target or a budget line of this activity: "
                + ", ".join(str(pk) for pk in unknown_targets + unknown_lines)
            },
        )
    report = ProgressReport(
        plan=plan, activity=activity, year=payload.year, organisation=organisation, unit=unit
    )
    try:
        actions.save_report(
            request=request,
            by=request.user,
            report=report,
            status=payload.status,
            narrative=payload.narrative,
            actuals={targets[a.target]: a.value for a in payload.actuals},
            spending={lines[s.budget_line]: s.amount for s in payload.spending},
        )
    except IntegrityError:
        # Two drafts of the same report at once: the database let one win.
        winner = ProgressReport.objects.filter(
            activity=activity, year=payload.year, quarter=0, organisation=organisation, unit=unit
        ).first()
        return Reply(
            409, {"detail": "This report exists already.", "id": winner.pk if winner else 0}
        )
    return Reply(201, _report(_report_for(request.user, report.pk)))


STEP_RESPONSES = {200: ProgressReportOut, 400: ErrorOut, 409: ErrorOut, **RECORD_ERRORS}


def _step(request, pk, step):
    report = _report_for(request.user, pk)
    try:
        step(report)
    except actions.StaleReport:
        return Reply(
            409,
            {"detail": f"The report is {report.get_state_display()}: this step is not possible."},
        )
    except ValidationError as exc:
        return Reply(400, {"detail": " ".join(exc.messages)})
    return Reply(200, _report(_report_for(request.user, pk)))


@router.post("/{id}/submit", response=STEP_RESPONSES, summary="Submit a draft for approval")
def submit_progress_report(request, id: int = Path(..., ge=1, le=MAX_ID)):
    def step(report):
        if not reports_for(request.user, report):
            raise PermissionDenied("Only the report's reporters submit it.")
        actions.submit(request=request, by=request.user, report=report)

    return _step(request, id, step)


@router.post("/{id}/approve", response=STEP_RESPONSES, summary="Approve a submitted report")
def approve_progress_report(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _step(request, id, lambda r: actions.approve(request=request, by=request.user, report=r))


@router.post(
    "/{id}/return", response=STEP_RESPONSES, summary="Return a submitted report, saying why"
)
def return_progress_report(request, payload: ReasonIn, id: int = Path(..., ge=1, le=MAX_ID)):
    return _step(
        request,
        id,
        lambda r: actions.return_report(
            request=request, by=request.user, report=r, reason=payload.reason
        ),
    )


@router.post(
    "/{id}/reopen", response=STEP_RESPONSES, summary="Reopen an approved report (the director)"
)
def reopen_progress_report(request, payload: ReasonIn, id: int = Path(..., ge=1, le=MAX_ID)):
    return _step(
        request,
        id,
        lambda r: actions.reopen(request=request, by=request.user, report=r, reason=payload.reason),
    )
