"""Importing a list of people (e.g. economic-aid families) into the register.

Three steps, nothing written before the last: upload (the page makes the
cheap checks of socialplan.uploads; a background task reads the file into
rows kept in an ImportBatch), mapping (which column is which field, guessed
from the headers), review (every row checked: required fields, dates, units,
lengths that fit the register's columns; errors block the import, duplicates
against the register or within the file are shown and skipped). Confirming
runs in the background too: people, households and the category in one
transaction, then the batch's rows are erased. Rows never confirmed are erased
after EXPIRE_AFTER (registry/tasks.py).
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialplan.accounts.audit import record
from socialplan.directory.models import Category, fold

from .duplicates import NAME_SIMILARITY, name_similarity
from .models import Household, ImportBatch, Person, PersonCategory

# Values per IN (...) when the register is searched for a list's duplicates.
LOOKUP_CHUNK = 500
# Uploaded rows are personal data kept only for the review: after this long
# an unconfirmed list is erased and the user is asked to upload it again.
EXPIRE_AFTER = datetime.timedelta(hours=24)

# Register fields a column can feed, and header words that suggest them.
FIELDS = [
    ("first_name", gettext_lazy("First name"), ["emri", "emer", "first name", "name"]),
    ("last_name", gettext_lazy("Last name"), ["mbiemri", "mbiemer", "last name", "surname"]),
    ("fathers_name", gettext_lazy("Father's name"), ["atesia", "father"]),
    ("sex", gettext_lazy("Sex"), ["gjinia", "seksi", "sex", "gender"]),
    ("date_of_birth", gettext_lazy("Date of birth"), ["datelindja", "lindja", "birth", "dob"]),
    ("national_id", gettext_lazy("National ID"), ["nr personal", "numri personal", "id", "nid"]),
    ("unit", gettext_lazy("Administrative unit"), ["njesia", "unit", "njesi"]),
    ("address", gettext_lazy("Address"), ["adresa", "address"]),
    ("phone", gettext_lazy("Phone"), ["telefon", "tel", "phone", "cel"]),
    ("household", gettext_lazy("Household (same value = same household)"),
     ["familja", "kodi i familjes", "household", "family"]),
    ("relationship", gettext_lazy("Relationship to the head"), ["lidhja", "relationship"]),
]  # fmt: skip
LABELS = {code: label for code, label, _words in FIELDS}
REQUIRED = {"first_name", "last_name", "sex", "date_of_birth", "unit"}
RELATIONSHIPS = {
    "kryefamiljar": "head", "head": "head", "bashkeshort": "spouse", "bashkeshorte": "spouse",
    "spouse": "spouse", "femije": "child", "djale": "child", "vajze": "child", "child": "child",
    "prind": "parent", "parent": "parent", "vella": "sibling", "motra": "sibling",
    "sibling": "sibling", "nip": "grandchild", "mbese": "grandchild", "grandchild": "grandchild",
}  # fmt: skip


def guess_mapping(headers: list[str]) -> dict[str, int]:
    mapping = {}
    for code, _label, words in FIELDS:
        for index, header in enumerate(headers):
            folded = re.sub(r"\s+", " ", re.sub(r"[^a-z ]", " ", fold(header))).strip()
            if folded and any(folded == w or folded.startswith(w + " ") for w in words):
                mapping.setdefault(code, index)
    return mapping


def fill_batch(batch: ImportBatch, sheet) -> None:
    """The rows of the file read into the batch, the columns guessed; not saved."""
    if len(sheet.rows) < 2:
        raise ValueError(_("The file has a header row but no people."))
    headers, *rows = sheet.rows
    width = len(headers)
    batch.headers = headers
    batch.rows = [(row + [""] * width)[:width] for row in rows if any(row)]
    batch.mapping = guess_mapping(headers)


# Text that goes straight into a column of the register: each must fit it.
STORED_TEXT = ("first_name", "last_name", "fathers_name", "address", "phone")


def _too_long(value: dict) -> list[str]:
    errors = []
    for code in STORED_TEXT:
        limit = Person._meta.get_field(code).max_length
        if len(value.get(code, "")) > limit:
            errors.append(
                _("“%(f)s” has %(n)s characters; at most %(limit)s fit")
                % {"f": LABELS[code], "n": len(value[code]), "limit": limit}
            )
    return errors


@dataclass
class ReviewRow:
    number: int  # the row's number in the file (the header is row 1)
    data: dict
    errors: list[str] = field(default_factory=list)
    duplicate_of: list = field(default_factory=list)  # people already in the register
    duplicate_in_file: int | None = None  # an earlier row of the file

    @property
    def importable(self) -> bool:
        return not self.errors and not self.duplicate_of and self.duplicate_in_file is None


def _date(text: str) -> datetime.date | None:
    for pattern in ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _sex(text: str) -> str | None:
    value = fold(text)
    if value in ("f", "femer", "female", "grua", "vajze"):
        return "F"
    if value in ("m", "mashkull", "male", "burre", "djale"):
        return "M"
    return None


def review(batch: ImportBatch, units) -> list[ReviewRow]:
    """Check every row against the register and the rest of the file; writes nothing."""
    by_name = {}
    for unit in units:
        for name in [unit.code, unit.name, *unit.aliases]:
            by_name[fold(name)] = unit
    today = timezone.localdate()
    rows, seen_ids, seen_people = [], {}, {}
    for offset, raw in enumerate(batch.rows):
        number = offset + 2
        value = {
            code: raw[i] if i is not None and i < len(raw) else ""
            for code, i in batch.mapping.items()
        }
        row = ReviewRow(number, value)
        for code, _label, _words in FIELDS:
            if code in REQUIRED and not value.get(code):
                row.errors.append(_("column for “%(f)s” is empty") % {"f": LABELS[code]})
        row.errors += _too_long(value)
        born = _date(value.get("date_of_birth", "")) if value.get("date_of_birth") else None
        if value.get("date_of_birth") and (born is None or born > today or born.year < 1900):
            row.errors.append(
                _("“%(v)s” is not a date of birth (day/month/year)") % {"v": value["date_of_birth"]}
            )
        sex = _sex(value.get("sex", "")) if value.get("sex") else None
        if value.get("sex") and sex is None:
            row.errors.append(_("“%(v)s” is not a sex (F or M)") % {"v": value["sex"]})
        unit = by_name.get(fold(value.get("unit", ""))) if value.get("unit") else None
        if value.get("unit") and unit is None:
            row.errors.append(_("“%(v)s” is not one of your units") % {"v": value["unit"]})
        national_id = value.get("national_id", "").strip().upper() or None
        if national_id and not re.fullmatch(r"[A-Z0-9]{6,20}", national_id):
            row.errors.append(_("“%(v)s” is not a national ID") % {"v": value["national_id"]})
        row.data.update(
            {"born": born, "sex_code": sex, "unit_obj": unit, "national_id": national_id}
        )
        if not row.errors:
            key = (fold(value["first_name"] + " " + value["last_name"]), born)
            earlier = seen_ids.get(national_id) if national_id else None
            earlier = earlier or seen_people.get(key)
            if earlier:
                row.duplicate_in_file = earlier
            else:
                if national_id:
                    seen_ids[national_id] = number
                seen_people[key] = number
                row.duplicate_of = None  # looked up below, for all rows at once
        rows.append(row)
    _find_in_register(batch.municipality, [r for r in rows if r.duplicate_of is None])
    return rows


def _find_in_register(municipality, rows: list[ReviewRow]) -> None:
    """duplicates.find_duplicates' rule (same national ID; or same date of birth and a
    similar name, in either order) for every row, with the register read in a few
    queries instead of two per row: a list of 6,000 took 20 seconds that way."""
    borns = sorted({r.data["born"] for r in rows})
    ids = sorted({r.data["national_id"] for r in rows if r.data["national_id"]})
    people = Person.objects.filter(municipality=municipality, merged_into__isnull=True)
    by_birth, by_id = defaultdict(list), defaultdict(list)
    for start in range(0, max(len(borns), len(ids)), LOOKUP_CHUNK):
        chunk = Q(date_of_birth__in=borns[start : start + LOOKUP_CHUNK]) | Q(
            national_id__in=ids[start : start + LOOKUP_CHUNK]
        )
        for person in people.filter(chunk).order_by("pk"):
            by_birth[person.date_of_birth].append(person)
            if person.national_id:
                by_id[person.national_id].append(person)
    for row in rows:
        found = {p.pk: p for p in by_id.get(row.data["national_id"], [])}
        full = f"{row.data['first_name']} {row.data['last_name']}"
        swapped = f"{row.data['last_name']} {row.data['first_name']}"
        for person in by_birth.get(row.data["born"], []):
            other = f"{person.first_name} {person.last_name}"
            if person.pk not in found and (
                max(name_similarity(full, other), name_similarity(swapped, other))
                >= NAME_SIMILARITY
            ):
                found[person.pk] = person
        row.duplicate_of = list(found.values())


@transaction.atomic
def confirm(*, batch: ImportBatch, units) -> int:
    """Write every importable row; refuse the whole import if any row has an error.

    Runs in the background (registry/tasks.py): a list of thousands takes longer
    than a web request may."""
    rows = review(batch, units)
    if any(r.errors for r in rows):
        raise ValueError(_("Some rows have errors: correct the file and upload it again."))
    category = Category.objects.filter(code=batch.category_code).first()
    households: dict[str, Household] = {}
    created = 0
    for row in rows:
        if not row.importable:
            continue
        data = row.data
        household = None
        if data.get("household"):
            household = households.get(data["household"])
            if household is None:
                household = Household.objects.create(
                    municipality=batch.municipality,
                    unit=data["unit_obj"],
                    address=data.get("address", ""),
                )
                households[data["household"]] = household
        person = Person.objects.create(
            municipality=batch.municipality,
            unit=data["unit_obj"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            fathers_name=data.get("fathers_name", ""),
            sex=data["sex_code"],
            date_of_birth=data["born"],
            national_id=data["national_id"],
            address=data.get("address", ""),
            phone=data.get("phone", ""),
            household=household,
            relationship=RELATIONSHIPS.get(fold(data.get("relationship", "")), "")
            if household
            else "",
            created_by=batch.created_by,
        )
        if category is not None:
            PersonCategory.objects.create(
                person=person,
                category=category,
                start_date=timezone.localdate(),
                source=batch.category_source or batch.file_name,
                recorded_by=batch.created_by,
            )
        created += 1
    skipped = len(rows) - created
    record(
        None,
        "import",
        batch,
        summary=f"register import: {created} people, {skipped} skipped",
        user=batch.created_by,
    )
    # The rows were personal data kept only for the review; the batch stays, empty,
    # so its page can say what happened.
    batch.headers, batch.rows, batch.mapping = [], [], {}
    batch.status, batch.created_count, batch.error = ImportBatch.Status.DONE, created, ""
    batch.save()
    return created


def erase(batch: ImportBatch, status: str) -> None:
    """Erase the personal data of a batch, keeping the empty batch to say what became of it."""
    batch.headers, batch.rows, batch.mapping, batch.upload = [], [], {}, None
    batch.status = status
    batch.save(update_fields=["headers", "rows", "mapping", "upload", "status"])
