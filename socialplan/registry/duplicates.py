"""Finding a person who may already be in the register.

Two signals: the same national ID (certain), or the same date of birth with
a similar name (likely: "Ermal Hoxha" and "Ermall Hoxha", or the names typed
in the other order). Similarity is computed on names folded to lower case
without diacritics.
"""

from difflib import SequenceMatcher

from socialplan.directory.models import fold

from .models import Person

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
