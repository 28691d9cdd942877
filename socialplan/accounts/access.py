"""Small, explicit access checks. Querysets start from the user.

Every view that fetches a record by id calls one of these in the same step,
so no page can show or change what its user may not.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Membership

Role = Membership.Role
# Roles that manage the whole municipality's directory and plan.
MANAGERS = {Role.DIRECTOR, Role.PLANNER}
# Roles that may see a confidential service's address.
CONFIDENTIAL_READERS = {
    Role.DIRECTOR,
    Role.PLANNER,
    Role.NJVRN,
    Role.UNIT_ADMIN,
    Role.CHILD_PROTECTION,
    Role.DV_COORDINATOR,
}
# Roles that reach personal data (the register, cases, the audit trail):
# whoever holds one logs in with a TOTP code as well as a password.
PERSONAL_DATA_ROLES = {
    Role.DIRECTOR,
    Role.NJVRN,
    Role.UNIT_ADMIN,
    Role.CHILD_PROTECTION,
    Role.DV_COORDINATOR,
    Role.AUDITOR,
}


def memberships(user):
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(user.memberships.select_related("municipality", "organisation", "unit"))
        user._memberships_cache = cached
    return cached


def roles_in(user, municipality_id) -> set[str]:
    return {m.role for m in memberships(user) if m.municipality_id == municipality_id}


def requires_two_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.role in PERSONAL_DATA_ROLES for m in memberships(user))


def manages_municipality(user, municipality_id) -> bool:
    if user.is_superuser:
        return True
    return bool(roles_in(user, municipality_id) & MANAGERS)


def can_edit_organisation(user, organisation) -> bool:
    if manages_municipality(user, organisation.municipality_id):
        return True
    return any(
        m.role == Role.PROVIDER and m.organisation_id == organisation.pk for m in memberships(user)
    )


def can_edit_service(user, service) -> bool:
    return can_edit_organisation(user, service.organisation)


def can_see_confidential(user, service) -> bool:
    if user.is_superuser:
        return True
    for m in memberships(user):
        if m.municipality_id == service.municipality_id and m.role in CONFIDENTIAL_READERS:
            return True
        if m.role == Role.PROVIDER and m.organisation_id == service.organisation_id:
            return True
    return False


def editable_services(user, queryset):
    """The services of `queryset` this user may edit."""
    if user.is_superuser:
        return queryset
    managed = [m.municipality_id for m in memberships(user) if m.role in MANAGERS]
    organisations = [m.organisation_id for m in memberships(user) if m.role == Role.PROVIDER]
    from django.db.models import Q

    return queryset.filter(Q(municipality_id__in=managed) | Q(organisation_id__in=organisations))


def get_for_edit(model, user, pk, check):
    """Fetch by id and check in the same call: 404 if absent, 403 if not allowed."""
    obj = get_object_or_404(model, pk=pk)
    if not check(user, obj):
        raise PermissionDenied
    return obj
