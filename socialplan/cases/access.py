"""Need-to-know access to cases and referrals. Querysets start from the user.

Who sees a case: its owner, the social administrator of its unit, and the
municipality-wide roles (registry/access.py MUNICIPALITY_WIDE). A referral:
those who see its case, and the staff of the organisation it was sent to.
That organisation learns who the person is only once it accepts (and while
the referral stays accepted or completed): before, and after declining or
a withdrawal, it reads sex, age, unit and the need, in every output.

The helpers that fetch one record also write its audit row.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from socialplan.accounts.audit import record
from socialplan.accounts.models import Membership
from socialplan.registry.access import (
    MUNICIPALITY_WIDE,
    OVERRIDE_ROLES,
    can_register,
    may_read_text,
    roles_for,
)

from .models import Case, Referral

Role = Membership.Role
# The states in which the receiving organisation knows who the person is.
IDENTIFIED_STATES = (Referral.State.ACCEPTED, Referral.State.COMPLETED)


def visible_cases(user):
    if not user.is_authenticated:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    from socialplan.accounts.access import memberships

    query = Q(owner=user)
    for m in memberships(user):
        if m.role in MUNICIPALITY_WIDE:
            query |= Q(municipality_id=m.municipality_id)
        elif m.role == Role.UNIT_ADMIN:
            query |= Q(unit_id=m.unit_id)
    return Case.objects.filter(query)


def get_case(scope, pk, *, write=False, why: str = "") -> Case:
    """The case if the user may see it (and change it), else 404 / 403; audited."""
    user = scope.user
    case = (
        visible_cases(user)
        .select_related("person", "person__unit", "unit", "owner", "municipality")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    if write and not can_write_case(user, case):
        raise PermissionDenied
    record(scope, "view", case, summary=why)
    return case


def can_write_case(user, case) -> bool:
    return can_register(user, case.municipality_id) or case.owner_id == user.pk


def is_special_case(case) -> bool:
    """Does the case's person have a current special category (consent is then required)?"""
    return case.person.categories.filter(category__special=True, end_date__isnull=True).exists()


def can_override_consent(user, municipality_id) -> bool:
    return user.is_superuser or bool(roles_for(user, municipality_id) & OVERRIDE_ROLES)


def may_read_case_text(user, case) -> bool:
    """May this user read the case's free text (reason, notes, conferences, history)?"""
    return case.owner_id == user.pk or may_read_text(user, case.person, is_owner=False)


def provider_organisations(user) -> set[int]:
    from socialplan.accounts.access import memberships

    return {m.organisation_id for m in memberships(user) if m.role == Role.PROVIDER}


def visible_referrals(user):
    """Referrals a user may open: a provider's own organisation's; case workers' own cases'."""
    if not user.is_authenticated:
        return Referral.objects.none()
    if user.is_superuser:
        return Referral.objects.all()
    organisations = provider_organisations(user)
    cases = visible_cases(user).values("pk")
    return Referral.objects.filter(Q(organisation_id__in=organisations) | Q(case__in=cases))


def get_referral(scope, pk, *, why: str = "") -> Referral:
    """The referral if the user may open it, else 404; audited (naming the person, even
    when the reader is a provider that does not yet know who it is)."""
    referral = (
        visible_referrals(scope.user)
        .select_related(
            "case__person__unit",
            "case__unit",
            "case__municipality",
            "service",
            "organisation",
            "consent",
            "sent_by",
        )
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404
    record(scope, "view", referral, summary=why, people=[referral.case.person_id])
    return referral


def reads_as_provider(user, referral) -> bool:
    return referral.organisation_id in provider_organisations(user)


def shows_identity(user, referral) -> bool:
    """The one rule for every output (page, PDF, API): the receiving organisation sees who
    the person is only while its acceptance stands."""
    if not reads_as_provider(user, referral):
        return True
    return referral.state in IDENTIFIED_STATES


def may_read_referral_text(user, referral) -> bool:
    """The referral's own texts (the need, the legal basis) were written for the receiving
    organisation; for anyone else the case's rule applies."""
    return reads_as_provider(user, referral) or may_read_case_text(user, referral.case)


def answers_as(user, referral) -> str | None:
    """Who may answer a referral: 'provider' for the receiving organisation's staff; 'staff'
    for a case worker recording the reply of a provider that has no accounts; else None."""
    if reads_as_provider(user, referral):
        return "provider"
    provider_has_accounts = Membership.objects.filter(
        organisation=referral.organisation_id
    ).exists()
    if not provider_has_accounts and can_register(user, referral.case.municipality_id):
        return "staff"
    return None
