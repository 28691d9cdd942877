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
from django.utils.translation import gettext_lazy

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
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


def get_person(scope, pk, *, write=False, why: str = "") -> "Person":  # noqa: F821
    """The person with this id if the scope's user may see it (and change it): else 404 / 403.

    Fetching is reading: the audit row naming the person is written here, so
    no page can show a person without leaving one. `why` says which page.
    """
    user = scope.user
    person = visible_people(user).select_related("unit", "municipality").filter(pk=pk).first()
    if person is None:
        raise Http404
    if write and not can_register(user, person.municipality_id):
        raise PermissionDenied
    record(scope, "view", person, summary=why)
    return person


def record_people_shown(scope, people, summary: str, *, action: str = "list") -> None:
    """A list page's audit row: which people it showed (ids, never names or search terms)."""
    ids = [getattr(p, "pk", p) for p in people]
    record(scope, action, summary=f"{summary}, {len(ids)}", people=ids)


def units_for(user, municipality_id):
    """The administrative units where this user registers people."""
    from socialplan.territory.models import AdministrativeUnit

    units = AdministrativeUnit.objects.filter(municipality_id=municipality_id)
    if user.is_superuser or roles_for(user, municipality_id) & MUNICIPALITY_WIDE:
        return units
    return units.filter(pk__in=[m.unit_id for m in memberships(user) if m.unit_id])


def get_household(scope, pk):
    """A household the user may open (one of its members is visible), else 404 alike
    whether it exists or not: the answer must not tell who is in the register."""
    from .models import Household

    household = Household.objects.filter(pk=pk).first()
    if household is None:
        raise Http404
    members = list(visible_people(scope.user).filter(household=household).select_related("unit"))
    if not members:
        raise Http404
    record(scope, "view", household, people=[m.pk for m in members])
    return household, members


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


# Free text (a case's reason, notes, a referral's purpose...) may name what a
# category says: "victim of violence". It is shown only to those who may see
# all of the person's current special categories, or who own a case of theirs.
WITHHELD = gettext_lazy(
    "Text withheld: it may reveal a category of this person that your role does not see."
)


def may_read_text(user, person, *, is_owner=None) -> bool:
    if user.is_superuser:
        return True
    special = [
        pc
        for pc in person.categories.filter(
            category__special=True, end_date__isnull=True
        ).select_related("category")
    ]
    if not special:
        return True
    _shown, hidden = visible_categories(user, person, special, is_owner=is_owner)
    return hidden == 0
