"""The progress-report workflow: draft -> submitted -> returned -> approved (locked) -> reopened."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from socialplan.accounts.audit import record

from .access import may_approve, may_reopen
from .models import ProgressReport, Spending, TargetActual

State = ProgressReport.State


class StaleReport(Exception):
    """The report changed after the page was opened."""


def _move(report, *, expected_states, version=None, **fields) -> None:
    """Change the report only if it is still in one of `expected_states` (and at `version`)."""
    query = ProgressReport.objects.filter(pk=report.pk, state__in=expected_states)
    if version is not None:
        query = query.filter(version=version)
    if not query.update(version=F("version") + 1, **fields):
        raise StaleReport
    report.refresh_from_db()


@transaction.atomic
def save_report(
    *, request, by, report, status, narrative, actuals: dict, spending: dict, version=None
):
    """Create or update a draft: status, narrative, actual per target, spending per budget line."""
    if report.pk:
        _move(report, expected_states=[State.DRAFT, State.RETURNED], version=version,
              status=status, narrative=narrative)  # fmt: skip
        action = "change"
    else:
        report.status, report.narrative, report.created_by = status, narrative, by
        report.save()
        action = "create"
    for target, value in actuals.items():
        if value is None:
            TargetActual.objects.filter(report=report, target=target).delete()
        else:
            TargetActual.objects.update_or_create(
                report=report, target=target, defaults={"value": value}
            )
    for line, amount in spending.items():
        if amount is None:
            Spending.objects.filter(report=report, budget_line=line).delete()
        else:
            Spending.objects.update_or_create(
                report=report, budget_line=line, defaults={"amount": amount}
            )
    record(
        request,
        action,
        report,
        user=by,
        summary=f"progress {report.year} activity {report.activity_id}",
    )
    return report


@transaction.atomic
def submit(*, request, by, report) -> None:
    _move(report, expected_states=[State.DRAFT, State.RETURNED], state=State.SUBMITTED,
          submitted_by=by, submitted_at=timezone.now())  # fmt: skip
    record(request, "change", report, user=by, changes={"state": ["draft", "submitted"]})


@transaction.atomic
def return_report(*, request, by, report, reason: str) -> None:
    if not may_approve(by, report):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why the report is returned."))
    _move(report, expected_states=[State.SUBMITTED], state=State.RETURNED, return_reason=reason)
    record(request, "change", report, user=by, changes={"state": ["submitted", "returned"]})


@transaction.atomic
def approve(*, request, by, report) -> None:
    if not may_approve(by, report):
        raise PermissionDenied
    _move(report, expected_states=[State.SUBMITTED], state=State.APPROVED,
          approved_by=by, approved_at=timezone.now())  # fmt: skip
    record(request, "change", report, user=by, changes={"state": ["submitted", "approved"]})


@transaction.atomic
def reopen(*, request, by, report, reason: str) -> None:
    if not may_reopen(by, report):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why the approved report is reopened."))
    _move(report, expected_states=[State.APPROVED], state=State.DRAFT, reopen_reason=reason,
          approved_by=None, approved_at=None)  # fmt: skip
    record(
        request,
        "change",
        report,
        user=by,
        summary="reopened",
        changes={"state": ["approved", "draft"]},
    )
