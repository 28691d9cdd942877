"""Finding a person who may already be in the register.

Two signals: the same national ID (certain), or the same date of birth with
a similar name (likely: "Ermal Hoxha" and "Ermall Hoxha", or the names typed
in the other order). Similarity is computed on names folded to lower case
without diacritics.
"""

from dataclasses import dataclass
from difflib import SequenceMatcher

from socialplan.accounts.audit import record
from socialplan.directory.models import fold

from .access import visible_people
from .models import DuplicateCheck, Person

NAME_SIMILARITY = 0.85


def name_similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, fold(a), fold(b)).ratio()


def find_duplicates(
    *, municipality, first_name, last_name, date_of_birth, national_id=None, exclude_pk=None
):
    """Possible duplicates in the municipality, as (person, reason) pairs."""
    people = Person.objects.filter(municipality=municipality, merged_into__isnull=True)
    if exclude_pk:
        people = people.exclude(pk=exclude_pk)
    found = {}
    if national_id:
        for person in people.filter(national_id=national_id):
            found[person.pk] = (person, "national_id")
    full = f"{first_name} {last_name}"
    swapped = f"{last_name} {first_name}"
    for person in people.filter(date_of_birth=date_of_birth):
        if person.pk in found:
            continue
        other = f"{person.first_name} {person.last_name}"
        if max(name_similarity(full, other), name_similarity(swapped, other)) >= NAME_SIMILARITY:
            found[person.pk] = (person, "name_and_birth_date")
    return list(found.values())


@dataclass
class Screening:
    """What a registering user may be told about possible duplicates."""

    visible: list  # (person, reason) pairs the user may open
    hidden: bool  # some they may not: not named, placed, counted or told why
    same_id: bool  # a visible record has the same national ID


def screen_duplicates(scope, *, municipality, data, exclude_pk=None, by_id=False) -> Screening:
    """Possible duplicates of `data`, split by what the user may see.

    For those they may not see, the people who may (the municipality's NJVRN
    and director, registry/views duplicate_checks) are asked to check.
    `by_id`: only the national ID counts (editing an existing record).
    """
    found = find_duplicates(
        municipality=municipality,
        first_name=data["first_name"],
        last_name=data["last_name"],
        date_of_birth=data["date_of_birth"],
        national_id=data.get("national_id"),
        exclude_pk=exclude_pk,
    )
    if by_id:
        found = [(p, reason) for p, reason in found if reason == "national_id"]
    visible_ids = set(
        visible_people(scope.user)
        .filter(pk__in=[p.pk for p, _r in found])
        .values_list("pk", flat=True)
    )
    visible = [(p, reason) for p, reason in found if p.pk in visible_ids]
    hidden = [p for p, _r in found if p.pk not in visible_ids]
    if hidden:
        ask_duplicate_check(scope, hidden)
    return Screening(
        visible=visible,
        hidden=bool(hidden),
        same_id=any(reason == "national_id" for _p, reason in visible),
    )


def ask_duplicate_check(scope, people) -> None:
    """One open check per person and asker: asking again adds nothing."""
    open_for = set(
        DuplicateCheck.objects.filter(
            asked_by=scope.user, person__in=people, resolved_at__isnull=True
        ).values_list("person_id", flat=True)
    )
    for person in people:
        if person.pk in open_for:
            continue
        check = DuplicateCheck.objects.create(person=person, asked_by=scope.user)
        record(
            scope,
            "create",
            check,
            summary="possible duplicate sent to the NJVRN",
            people=[person.pk],
        )
