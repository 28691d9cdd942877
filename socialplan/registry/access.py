"""Need-to-know access to people and cases. Querysets start from the user.

Who sees a person:
- the social administrator of the person's unit;
- the NJVRN, the director, the child protection worker and the domestic
  violence coordinator of the municipality;
- the owner of any case of the person;
- a provider's staff, only for a referral to their organisation that they
  accepted (and only the fields the referral needs: see referral pages).
Planning officers, national viewers and auditors see no person: aggregates
and the audit log are their tools.

Special categories (domestic violence, trafficking, LGBTIQ+, substance use,
health, ethnicity) are narrower still: SPECIAL_READERS says which roles see
each; a case owner sees all of their case's person.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from socialplan.accounts.access import memberships
from socialplan.accounts.models import Membership

Role = Membership.Role

MUNICIPALITY_WIDE = {Role.DIRECTOR, Role.NJVRN, Role.CHILD_PROTECTION, Role.DV_COORDINATOR}
# Roles that register people and run cases (a provider only answers referrals).
CASE_WORKERS = MUNICIPALITY_WIDE | {Role.UNIT_ADMIN}

SPECIAL_READERS = {
    "domestic_violence": {Role.DIRECTOR, Role.NJVRN, Role.DV_COORDINATOR},
    "trafficking": {Role.DIRECTOR, Role.NJVRN, Role.DV_COORDINATOR},
    "lgbtiq": {Role.DIRECTOR, Role.NJVRN},
    "alcohol_use": {Role.DIRECTOR, Role.NJVRN},
    "drug_use": {Role.DIRECTOR, Role.NJVRN},
    "children_disability": {Role.DIRECTOR, Role.NJVRN, Role.UNIT_ADMIN, Role.CHILD_PROTECTION},
    "adults_disability": {Role.DIRECTOR, Role.NJVRN, Role.UNIT_ADMIN},
    "roma_egyptian": {Role.DIRECTOR, Role.NJVRN, Role.UNIT_ADMIN, Role.CHILD_PROTECTION},
}
# Roles that may refer a case without the person's consent, giving a reason
# (immediate danger to a child or a victim of violence).
OVERRIDE_ROLES = {Role.DIRECTOR, Role.NJVRN, Role.CHILD_PROTECTION, Role.DV_COORDINATOR}


# Up to this many people of one's own cases are named in the query (see below).
OWNED_AS_LIST = 2000


def _people_filter(user) -> Q:
    """A Q over Person: the people this user may see."""
    from socialplan.cases.models import Case

    if user.is_superuser:
        return Q()
    query = Q(pk__in=[])
    for m in memberships(user):
        if m.role in MUNICIPALITY_WIDE:
            query |= Q(municipality_id=m.municipality_id)
        elif m.role == Role.UNIT_ADMIN:
            query |= Q(unit_id=m.unit_id)
    # The people of the user's own cases. A join would repeat a person once per
    # case and need DISTINCT (a sort of the whole register for every page). A
    # short list of ids keeps the condition indexable, so PostgreSQL combines
    # it with the municipality or unit above in one bitmap scan instead of
    # reading the whole national table; an unusually large caseload falls
    # back to EXISTS.
    owned = list(
        Case.objects.filter(owner=user).values_list("person_id", flat=True)[: OWNED_AS_LIST + 1]
    )
    if len(owned) <= OWNED_AS_LIST:
        return query | Q(pk__in=sorted(set(owned)))
    return query | Q(Exists(Case.objects.filter(person=OuterRef("pk"), owner=user)))


def visible_people(user):
    from .models import Person

    if not user.is_authenticated:
        return Person.objects.none()
    return Person.objects.filter(_people_filter(user), merged_into__isnull=True)


def can_register(user, municipality_id=None) -> bool:
    if user.is_superuser:
        return True
    return any(
        m.role in CASE_WORKERS and (municipality_id is None or m.municipality_id == municipality_id)
        for m in memberships(user)
    )


def get_person_for_user(user, pk, *, write=False):
    """The person with this id if the user may see it (and change it): else 404 / 403."""
    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise Http404
    if write and not can_register(user, person.municipality_id):
        raise PermissionDenied
    return person


def roles_for(user, municipality_id) -> set[str]:
    return {m.role for m in memberships(user) if m.municipality_id == municipality_id}


def visible_categories(user, person, categories, *, is_owner=None):
    """The person's categories this user may see; the others are only counted.

    `is_owner` (does the user own a case of the person?) may be given when the
    caller already knows it, e.g. annotated on a list: then no query is made.
    """
    if user.is_superuser:
        return list(categories), 0
    if is_owner is None:
        is_owner = person.cases.filter(owner=user).exists()
    if is_owner:
        return list(categories), 0
    roles = roles_for(user, person.municipality_id)
    shown = [
        pc
        for pc in categories
        if not pc.category.special or roles & SPECIAL_READERS.get(pc.category.code, set())
    ]
    return shown, len(categories) - len(shown)


def visible_cases(user):
    from socialplan.cases.models import Case

    if not user.is_authenticated:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    query = Q(owner=user)
    for m in memberships(user):
        if m.role in MUNICIPALITY_WIDE:
            query |= Q(municipality_id=m.municipality_id)
        elif m.role == Role.UNIT_ADMIN:
            query |= Q(unit_id=m.unit_id)
    return Case.objects.filter(query)


def get_case_for_user(user, pk, *, write=False):
    case = (
        visible_cases(user)
        .select_related("person", "unit", "owner", "municipality")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    if write and not can_register(user, case.municipality_id) and case.owner_id != user.pk:
        raise PermissionDenied
    return case


def is_special_case(case) -> bool:
    """Does the case's person have a current special category (consent is then required)?"""
    return case.person.categories.filter(category__special=True, end_date__isnull=True).exists()


def can_override_consent(user, municipality_id) -> bool:
    return user.is_superuser or bool(roles_for(user, municipality_id) & OVERRIDE_ROLES)


def provider_organisations(user) -> set[int]:
    return {m.organisation_id for m in memberships(user) if m.role == Role.PROVIDER}


def visible_referrals(user):
    """Referrals a user may open: a provider's own organisation's; case workers' own cases'."""
    from socialplan.cases.models import Referral

    if not user.is_authenticated:
        return Referral.objects.none()
    if user.is_superuser:
        return Referral.objects.all()
    organisations = provider_organisations(user)
    cases = visible_cases(user).values("pk")
    return Referral.objects.filter(Q(organisation_id__in=organisations) | Q(case__in=cases))


def answers_as(user, referral) -> str | None:
    """Who may answer a referral: 'provider' for the receiving organisation's staff; 'staff'
    for a case worker recording the reply of a provider that has no accounts; else None."""
    if referral.organisation_id in provider_organisations(user):
        return "provider"
    provider_has_accounts = Membership.objects.filter(
        organisation=referral.organisation_id
    ).exists()
    if not provider_has_accounts and can_register(user, referral.case.municipality_id):
        return "staff"
    return None
