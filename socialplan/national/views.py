"""The national roll-up pages: staff (national viewers) and public (suppressed)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
from socialplan.accounts.models import Membership
from socialplan.dbrouting import reporting

from .rollup import national_report
from .tallies import years_to_tally


def may_see_national(user) -> bool:
    return user.is_superuser or any(m.role == Membership.Role.NATIONAL for m in memberships(user))


def _year(year: int) -> int:
    if year not in years_to_tally():
        raise Http404("No tallies for that year.")
    return year


def latest(request):
    return redirect("national:public", year=timezone.localdate().year)


@login_required
def staff(request, year):
    if not may_see_national(request.user):
        raise PermissionDenied
    with reporting():
        report = national_report(_year(year), public=False)
    record(request, "view", None, summary=f"national roll-up {year} (unsuppressed)")
    return render(request, "national/report.html", _context(report))


def public(request, year):
    with reporting():
        report = national_report(_year(year), public=True)
    return render(request, "national/report.html", _context(report))


def _context(report):
    return {"report": report, "years": years_to_tally(), "spent_total": report.spent[""]}
