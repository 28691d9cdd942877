"""What the header offers a logged-in user, from their roles (one query, cached per request)."""

from .access import memberships
from .models import Membership

Role = Membership.Role
CASE_ROLES = {
    Role.DIRECTOR,
    Role.NJVRN,
    Role.UNIT_ADMIN,
    Role.CHILD_PROTECTION,
    Role.DV_COORDINATOR,
}
STATS_ROLES = {Role.DIRECTOR, Role.PLANNER, Role.NJVRN, Role.AUDITOR, Role.NATIONAL}


def _monitoring_url(municipality_code):
    """The monitoring dashboard of the municipality's adopted plan, for this year."""
    from django.urls import reverse
    from django.utils import timezone

    from socialplan.plan.models import Plan

    plan = (
        Plan.objects.filter(municipality__code=municipality_code, revision_number=0)
        .order_by("-period_start")
        .first()
    )
    if plan is None:
        return None
    year = min(max(timezone.localdate().year, plan.period_start.year), plan.period_end.year)
    return reverse("monitoring:dashboard", args=[plan.slug, year])


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = {m.role for m in memberships(user)}
    home = next((m.municipality.code for m in memberships(user)), None)
    return {
        "nav": {
            "cases": user.is_superuser or bool(roles & CASE_ROLES),
            "inbox": Role.PROVIDER in roles,
            "directory": user.is_superuser
            or bool(roles & {Role.DIRECTOR, Role.PLANNER, Role.PROVIDER}),
            "statistics": (user.is_superuser or bool(roles & STATS_ROLES)) and home,
            "audit": user.is_superuser or Role.AUDITOR in roles,
            "emergency": user.is_superuser or bool(roles & (CASE_ROLES | {Role.PLANNER})),
            "monitoring": _monitoring_url(home)
            if roles - {Role.PROVIDER} or user.is_superuser
            else None,
            "municipality": home,
        }
    }
