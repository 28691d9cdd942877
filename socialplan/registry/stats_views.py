"""Figures from the register: raw for staff who may see them, suppressed for the public."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
from socialplan.accounts.models import Membership
from socialplan.territory.models import Municipality

from .aggregates import build_aggregates, public_people_tables

Role = Membership.Role
# Counts (not names) of people and caseloads; a national viewer sees every municipality.
STATISTICS_ROLES = {Role.DIRECTOR, Role.PLANNER, Role.NJVRN, Role.AUDITOR}


def _may_see_raw(user, municipality) -> bool:
    if user.is_superuser:
        return True
    return any(
        m.role == Role.NATIONAL
        or (m.municipality_id == municipality.pk and m.role in STATISTICS_ROLES)
        for m in memberships(user)
    )


@login_required
def statistics_staff(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    if not _may_see_raw(request.user, municipality):
        raise PermissionDenied
    figures = build_aggregates(municipality)
    record(request, "view", municipality, summary="register statistics (unsuppressed)")
    return render(
        request,
        "registry/statistics.html",
        {"municipality": municipality, "figures": figures, "public": False},
    )


def statistics_public(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    return render(
        request,
        "registry/statistics_public.html",
        {"municipality": municipality, "tables": public_people_tables(municipality)},
    )
