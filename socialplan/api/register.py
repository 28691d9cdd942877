"""The register of people: list, read, register. Bearer tokens only; every call is audited.

The same need-to-know rules as the register's pages (registry/access.py):
who sees a person, which of their categories, who may register. Names and
ID numbers are never filters here: a query string ends up in server logs.
"""

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema
from pydantic import AfterValidator, BeforeValidator

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
from socialplan.accounts.scope import Scope
from socialplan.cases.models import Case
from socialplan.directory.models import Category
from socialplan.registry import actions
from socialplan.registry.access import (
    CASE_WORKERS,
    SPECIAL_READERS,
    can_register,
    record_people_shown,
    units_for,
    visible_categories,
    visible_people,
)
from socialplan.registry.duplicates import screen_duplicates
from socialplan.registry.models import Person, PersonCategory, validate_birth_date
from socialplan.territory.models import AdministrativeUnit

from .auth import token_auth
from .schemas import (
    MAX_ID,
    RECORD_ERRORS,
    TOKEN_ERRORS,
    Code,
    FormErrorOut,
    Id,
    PageParams,
    Reply,
    choice,
    page,
    text,
)

router = Router(tags=["register"], auth=token_auth)


class UnitOut(Schema):
    id: int
    code: str
    name: str


class PersonCategoryOut(Schema):
    code: str
    name: str
    special: bool
    detail: str
    since: datetime.date
    until: datetime.date | None


class PersonOut(Schema):
    id: int
    municipality: str = Field(description="The municipality's code.")
    unit: UnitOut
    first_name: str
    last_name: str
    fathers_name: str
    sex: str
    date_of_birth: datetime.date
    national_id: str | None
    address: str
    phone: str
    email: str
    household: int | None
    relationship: str
    categories: list[PersonCategoryOut] = Field(description="The categories this user may see.")
    hidden_categories: int = Field(
        description="Special categories of the person this user may not see: only counted."
    )
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class PersonPage(Schema):
    count: int
    items: list[PersonOut]


class PeopleFilters(PageParams):
    unit: Id | None = Field(None, description="Only the people of this administrative unit (id).")
    category: Code | None = Field(
        None, description="Only the people currently in this category (its code)."
    )


def _iso_date_text(value):
    # JSON has no date type: only "YYYY-MM-DD" text is a date here, never a number
    # (pydantic would read 0 as 1970-01-01).
    if not isinstance(value, str):
        raise ValueError("a date is written as text, YYYY-MM-DD")
    return value


def _birth_date_rule(value: datetime.date) -> datetime.date:
    try:
        validate_birth_date(value)
    except DjangoValidationError as exc:
        raise ValueError(" ".join(str(m) for m in exc.messages)) from exc
    return value


# The same rule as the register's forms and imports (registry.models.validate_birth_date).
BirthDate = Annotated[
    datetime.date, BeforeValidator(_iso_date_text), AfterValidator(_birth_date_rule)
]


class PersonIn(Schema):
    first_name: text(100, min_length=1)
    last_name: text(100, min_length=1)
    fathers_name: text(100) = ""
    sex: choice(Person.Sex)
    date_of_birth: BirthDate
    national_id: text(20) | None = None
    unit: Id = Field(description="The administrative unit's id.")
    address: text(300) = ""
    phone: text(40) = ""
    email: text(254) = ""
    relationship: choice(Person.Relationship) | None = None
    confirm_not_duplicate: bool = Field(
        False,
        description="Register although a person with a similar name and the same date of birth "
        "exists (never when the national ID is the same).",
    )


class DuplicateOut(Schema):
    detail: str
    duplicates: list[int] = Field(description="Ids of the possible duplicates this user may open.")
    hidden_duplicates: int = Field(
        description="1 when a possible duplicate exists that this user may not open (never how "
        "many, which or where: the NJVRN is asked to check), else 0."
    )


def _people(user):
    owned = Case.objects.filter(person=OuterRef("pk"), owner_id=user.pk)
    return (
        visible_people(user)
        .select_related("unit", "municipality")
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=PersonCategory.objects.select_related("category").order_by(
                    "category__position", "start_date", "pk"
                ),
            )
        )
        .annotate(owned_by_user=Exists(owned))
    )


def _person(user, person: Person) -> dict:
    shown, hidden = visible_categories(
        user,
        person,
        list(person.categories.all()),
        is_owner=getattr(person, "owned_by_user", None),
    )
    return {
        "id": person.pk,
        "municipality": person.municipality.code,
        "unit": person.unit,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "fathers_name": person.fathers_name,
        "sex": person.sex,
        "date_of_birth": person.date_of_birth,
        "national_id": person.national_id,
        "address": person.address,
        "phone": person.phone,
        "email": person.email,
        "household": person.household_id,
        "relationship": person.relationship,
        "categories": [
            {
                "code": pc.category.code,
                "name": pc.category.name,
                "special": pc.category.special,
                "detail": pc.detail,
                "since": pc.start_date,
                "until": pc.end_date,
            }
            for pc in shown
        ],
        "hidden_categories": hidden,
        "version": person.version,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def _in_category(user, category: Category) -> Q:
    """People now in `category`; for a special one, only where the user may see it."""
    current = Q(categories__category=category, categories__end_date__isnull=True)
    if not category.special or user.is_superuser:
        return current
    readers = SPECIAL_READERS.get(category.code, set())
    municipalities = [m.municipality_id for m in memberships(user) if m.role in readers]
    return current & (Q(municipality_id__in=municipalities) | Q(cases__owner=user))


@router.get(
    "",
    response={200: PersonPage, **TOKEN_ERRORS},
    summary="People this user may see",
    description="The case workers' list: a person's unit staff, the municipality-wide roles and "
    "the owners of their cases. Planning officers, auditors and providers see no person.",
)
def list_people(request, filters: Query[PeopleFilters]):
    user = request.user
    if not can_register(user):
        raise PermissionDenied("Your role sees no person.")
    people = _people(user)
    if filters.unit is not None:
        people = people.filter(unit_id=filters.unit)
    if filters.category is not None:
        category = Category.objects.filter(code=filters.category).first()
        if category is None:
            people = people.none()
        else:
            # A subquery, so the join does not multiply rows nor the prefetch.
            people = people.filter(pk__in=Person.objects.filter(_in_category(user, category)))
    count, rows = page(people.order_by("last_name", "first_name", "pk"), filters)
    record_people_shown(Scope.of(request), rows, f"API register list of {count}")
    return {"count": count, "items": [_person(user, p) for p in rows]}


@router.get(
    "/{id}",
    response={200: PersonOut, **RECORD_ERRORS},
    summary="One person",
)
def get_person(request, id: int = Path(..., ge=1, le=MAX_ID)):
    # The same check as registry.access.get_person: the queryset starts from visible_people.
    person = _people(request.user).filter(pk=id).first()
    if person is None:
        raise Http404
    record(Scope.of(request), "view", person, summary="API person")
    return _person(request.user, person)


@router.post(
    "",
    response={201: PersonOut, 400: FormErrorOut, 409: DuplicateOut, **TOKEN_ERRORS},
    summary="Register a person",
    description="Case-worker roles only, in a unit they work in. A possible duplicate (same "
    "national ID, or a similar name and the same date of birth) answers 409 with the ids; "
    "repeat with confirm_not_duplicate when it is another person (not for the same ID).",
)
def register_person(request, payload: PersonIn):
    user = request.user
    if not any(m.role in CASE_WORKERS for m in memberships(user)) and not user.is_superuser:
        raise PermissionDenied("Only case workers register people.")
    unit = AdministrativeUnit.objects.filter(pk=payload.unit).select_related("municipality").first()
    if unit is None:
        return Reply(400, {"detail": "No such unit.", "errors": {"unit": ["No such unit."]}})
    if (
        not can_register(user, unit.municipality_id)
        or not units_for(user, unit.municipality_id).filter(pk=unit.pk).exists()
    ):
        raise PermissionDenied("You do not register people in this unit.")
    if payload.email:
        try:
            validate_email(payload.email)
        except DjangoValidationError:
            return Reply(
                400,
                {
                    "detail": "Enter a valid email address.",
                    "errors": {"email": ["Enter a valid email address."]},
                },
            )
    data = payload.model_dump(exclude={"unit", "confirm_not_duplicate"})
    # As the page's form does: surrounding spaces are not part of a value.
    data = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    blank = [name for name in ("first_name", "last_name") if not data[name]]
    if blank:
        errors = {name: ["This field is required."] for name in blank}
        return Reply(400, {"detail": "A name is missing.", "errors": errors})
    data["national_id"] = (data["national_id"] or "").upper() or None
    data["relationship"] = data["relationship"] or ""
    data["unit"] = unit
    screening = screen_duplicates(Scope.of(request), municipality=unit.municipality, data=data)
    if screening.hidden:
        # Neither who, nor where, nor why it matched: the NJVRN was asked to check.
        return Reply(
            409,
            {
                "detail": "A possible duplicate of this person is registered where you cannot "
                "see it. Nothing was saved: the NJVRN has been asked to check.",
                "duplicates": [],
                "hidden_duplicates": 1,
            },
        )
    if screening.same_id or (screening.visible and not payload.confirm_not_duplicate):
        detail = (
            "A person with this national ID is already registered."
            if screening.same_id
            else "This may be a person already in the register."
        )
        return Reply(
            409,
            {
                "detail": detail,
                "duplicates": sorted(p.pk for p, _r in screening.visible),
                "hidden_duplicates": 0,
            },
        )
    try:
        with transaction.atomic():
            person = actions.register_person(
                request=request, by=user, municipality=unit.municipality, data=data
            )
    except IntegrityError:
        # Two registrations of the same national ID at once: the database let one win.
        return Reply(
            409,
            {
                "detail": "A person with this national ID is already registered.",
                "duplicates": [],
                "hidden_duplicates": 1,
            },
        )
    return Reply(201, _person(user, get_object_or_404(_people(user), pk=person.pk)))
