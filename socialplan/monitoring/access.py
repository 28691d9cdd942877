"""Who reports progress and who approves it.

Reporters: the directorate's staff, the NJVRN, a unit's administrator (for
their unit) and a provider's staff (for their organisation). Approvers: the
lead, the directorate (director, planning officer); never the person who
submitted the report. Only the director reopens an approved report.
"""

from socialplan.accounts.access import memberships
from socialplan.accounts.models import Membership

Role = Membership.Role
REPORTERS = {Role.DIRECTOR, Role.PLANNER, Role.NJVRN, Role.UNIT_ADMIN, Role.PROVIDER}
APPROVERS = {Role.DIRECTOR, Role.PLANNER}
READERS = REPORTERS | {Role.CHILD_PROTECTION, Role.DV_COORDINATOR, Role.AUDITOR, Role.NATIONAL}


def _in(user, municipality_id, roles) -> list:
    return [
        m for m in memberships(user)
        if m.role in roles and (m.municipality_id == municipality_id or m.role == Role.NATIONAL)
    ]  # fmt: skip


def reporting_scope(user, municipality_id):
    """(organisation, unit) this user reports for, or None if they may not report."""
    if user.is_superuser:
        return (None, None)
    scopes = _in(user, municipality_id, REPORTERS)
    for m in scopes:
        if m.role in (Role.DIRECTOR, Role.PLANNER, Role.NJVRN):
            return (None, None)
    for m in scopes:
        if m.role == Role.PROVIDER:
            return (m.organisation, None)
        if m.role == Role.UNIT_ADMIN:
            return (None, m.unit)
    return None


def may_read(user, municipality_id) -> bool:
    return user.is_superuser or bool(_in(user, municipality_id, READERS))


def may_edit(user, report) -> bool:
    """The reporter's own people edit a draft or returned report."""
    return report.editable and reports_for(user, report)


def reports_for(user, report) -> bool:
    """Is this user among the report's reporters (whatever its state)?"""
    if user.is_superuser:
        return True
    scope = reporting_scope(user, report.plan.municipality_id)
    if scope is None:
        return False
    organisation, unit = scope
    if organisation is None and unit is None:
        return True  # the directorate may complete any report
    return (organisation and report.organisation_id == organisation.pk) or (
        unit and report.unit_id == unit.pk
    )


def may_approve(user, report) -> bool:
    if report.submitted_by_id == user.pk:
        return False  # four eyes: nobody approves their own report
    return user.is_superuser or bool(_in(user, report.plan.municipality_id, APPROVERS))


def may_reopen(user, report) -> bool:
    return user.is_superuser or bool(_in(user, report.plan.municipality_id, {Role.DIRECTOR}))


def visible_reports(user, queryset):
    """Reports a user may open: all of the municipality for the directorate and readers
    with a municipality-wide role; a provider or unit only their own."""
    if user.is_superuser or any(m.role == Role.NATIONAL for m in memberships(user)):
        return queryset  # progress reports hold no personal data; a national viewer reads all
    from django.db.models import Q

    query = Q(pk__in=[])
    for m in memberships(user):
        if m.role == Role.PROVIDER:
            query |= Q(organisation=m.organisation_id)
        elif m.role == Role.UNIT_ADMIN:
            query |= Q(unit=m.unit_id)
        elif m.role in READERS:
            query |= Q(plan__municipality=m.municipality_id)
    return queryset.filter(query)


def get_report(user, pk, queryset=None):
    """The progress report if this user may read it, else 404 (pages and API alike).

    Reports hold no personal data, so no audit row for reading; changes are audited
    by the actions.
    """
    from django.http import Http404

    from .models import ProgressReport

    report = (
        visible_reports(user, ProgressReport.objects.all() if queryset is None else queryset)
        .select_related(
            "plan__municipality", "activity__measure__objective__priority", "organisation", "unit"
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def may_read_any(user) -> bool:
    """Does any of the user's roles read progress reports?"""
    return user.is_superuser or any(m.role in READERS for m in memberships(user))
