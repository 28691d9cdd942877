"""Workflows on the register: each runs in one transaction and leaves its audit row."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from socialplan.accounts.audit import diff, record

from .models import Assessment, Household, Person, PersonCategory

PERSON_FIELDS = [
    "first_name",
    "last_name",
    "fathers_name",
    "sex",
    "date_of_birth",
    "national_id",
    "unit",
    "address",
    "phone",
    "email",
    "household",
    "relationship",
]


class StaleRecord(Exception):
    """Someone else saved the record after this form was opened."""


def _values(person) -> dict:
    return {name: getattr(person, name) for name in PERSON_FIELDS}


@transaction.atomic
def register_person(*, request, by, municipality, data: dict) -> Person:
    person = Person(municipality=municipality, created_by=by, **data)
    person.save()
    # The audit row names the record, never the person: ids only.
    record(request, "create", person, user=by, changes={k: ["", "…"] for k, v in data.items() if v})
    return person


@transaction.atomic
def update_person(*, request, person: Person, data: dict, expected_version: int) -> Person:
    before = _values(Person.objects.get(pk=person.pk))
    updated = Person.objects.filter(pk=person.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not updated:
        raise StaleRecord
    for name, value in data.items():
        setattr(person, name, value)
    person.version = expected_version + 1
    person.save()
    changed = diff(before, _values(person))
    # Which fields changed is audited; their values are personal data and are not.
    record(request, "change", person, changes={name: ["…", "…"] for name in changed})
    return person


@transaction.atomic
def add_category(*, request, person, by, category, start_date, source, detail="") -> PersonCategory:
    row = PersonCategory.objects.create(
        person=person,
        category=category,
        start_date=start_date,
        source=source,
        detail=detail,
        recorded_by=by,
    )
    record(request, "change", person, user=by, summary=f"category added: {category.code}")
    return row


@transaction.atomic
def end_category(*, request, row: PersonCategory, end_date) -> None:
    row.end_date = end_date
    row.save(update_fields=["end_date"])
    record(request, "change", row.person, summary=f"category ended: {row.category.code}")


@transaction.atomic
def add_assessment(
    *, request, person, by, date, needs: dict, risk: str, notes="", case=None
) -> Assessment:
    assessment = Assessment.objects.create(
        person=person, case=case, date=date, assessor=by, needs=needs, risk=risk, notes=notes
    )
    record(request, "create", assessment, user=by, summary=f"assessment of person {person.pk}")
    return assessment


@transaction.atomic
def create_household(*, request, head: Person) -> Household:
    household = Household.objects.create(
        municipality=head.municipality, unit=head.unit, address=head.address
    )
    head.household = household
    head.relationship = Person.Relationship.HEAD
    head.save(update_fields=["household", "relationship"])
    record(request, "create", household, summary=f"household of person {head.pk}")
    return household


@transaction.atomic
def merge_people(*, request, keep: Person, duplicate: Person) -> Person:
    """Move everything of `duplicate` onto `keep`; the duplicate stays, marked, for history."""
    from socialplan.cases.models import Case, Consent

    if keep.pk == duplicate.pk or keep.municipality_id != duplicate.municipality_id:
        raise ValueError("can only merge two different people of the same municipality")
    moved = {
        "categories": PersonCategory.objects.filter(person=duplicate).update(person=keep),
        "assessments": Assessment.objects.filter(person=duplicate).update(person=keep),
        "cases": Case.objects.filter(person=duplicate).update(person=keep),
        "consents": Consent.objects.filter(person=duplicate).update(person=keep),
    }
    national_id = duplicate.national_id
    duplicate.merged_into = keep
    duplicate.national_id = None
    duplicate.save(update_fields=["merged_into", "national_id"])
    if not keep.national_id and national_id:
        keep.national_id = national_id
        keep.save(update_fields=["national_id"])
    for field in ("household", "phone", "address", "fathers_name"):
        if not getattr(keep, field) and getattr(duplicate, field):
            setattr(keep, field, getattr(duplicate, field))
    keep.save()
    record(
        request,
        "change",
        keep,
        summary=f"merged person {duplicate.pk} into {keep.pk}",
        changes={name: [0, count] for name, count in moved.items()},
    )
    record(request, "change", duplicate, summary=f"merged into person {keep.pk}")
    return keep


@transaction.atomic
def resolve_duplicate_check(*, actor, check) -> None:
    """The NJVRN compared the records and answered the administrator who asked."""
    if check.resolved_at is not None:
        return
    check.resolved_at = timezone.now()
    check.resolved_by = actor.user
    check.save(update_fields=["resolved_at", "resolved_by"])
    record(actor, "change", check, summary="duplicate check resolved", people=[check.person_id])
