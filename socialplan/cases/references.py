"""Reference numbers for cases and referrals.

A case is "DUR-2026-00001" and a referral "REF-DUR-2026-00001": three capital
letters from the municipality's code, the year, and a number that starts again
at 1 each year. Numbers have at least five digits (zero-padded); past 99999
they simply grow longer.

Two municipalities whose codes start with the same three letters share one
sequence for that prefix, so references stay unique across the whole database
(both columns are unique).

Concurrency. Call these functions inside ``transaction.atomic()`` and insert
the row in the same transaction:

- on PostgreSQL the functions take a transaction-level advisory lock on the
  prefix and year before reading the highest number, so a second transaction
  waits until the first commits and then sees its row. (``select_for_update``
  on the highest row would not do: it cannot lock a row that does not exist
  yet, and a waiting transaction still gets the old highest row back.)
- SQLite serialises writers itself; if two connections still pick the same
  number, the insert fails on the unique column. ``save_with_reference``
  retries with the next number, so use it on any database::

      with transaction.atomic():
          case = Case(municipality=municipality, ...)
          save_with_reference(case, lambda: next_case_reference(municipality, year))

Bulk writers (the synthetic population generator) take a block of numbers at
once with ``next_case_references`` / ``next_referral_references``.
"""

import zlib
from collections.abc import Callable

from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Length

from socialplan.directory.models import fold

REFERENCE_DIGITS = 5
REFERRAL_PREFIX = "REF"


def reference_prefix(municipality) -> str:
    """Three capital letters from the municipality's code: "durres" -> "DUR"."""
    letters = [ch for ch in fold(municipality.code) if ch.isalpha()]
    return "".join(letters[:3]).upper()


def case_reference_stem(municipality, year: int) -> str:
    """The part of a case reference before the number: "DUR-2026-"."""
    return f"{reference_prefix(municipality)}-{int(year)}-"


def referral_reference_stem(municipality, year: int) -> str:
    """The part of a referral reference before the number: "REF-DUR-2026-"."""
    return f"{REFERRAL_PREFIX}-{reference_prefix(municipality)}-{int(year)}-"


def next_case_reference(municipality, year: int) -> str:
    """The next free case reference of the municipality for the year, e.g. "DUR-2026-00042".

    `municipality` is a territory.Municipality; `year` is the year the case is
    opened (local time). Must be called inside transaction.atomic(), and the
    case saved in the same transaction (see the module's docstring).
    """
    return next_case_references(municipality, year, 1)[0]


def next_referral_reference(municipality, year: int) -> str:
    """The next free referral reference, e.g. "REF-DUR-2026-00007" (same rules as for cases)."""
    return next_referral_references(municipality, year, 1)[0]


def next_case_references(municipality, year: int, count: int) -> list[str]:
    """`count` consecutive free case references, for bulk inserts in the same transaction."""
    from .models import Case

    return _next_references(Case, case_reference_stem(municipality, year), count)


def next_referral_references(municipality, year: int, count: int) -> list[str]:
    """`count` consecutive free referral references, for bulk inserts in the same transaction."""
    from .models import Referral

    return _next_references(Referral, referral_reference_stem(municipality, year), count)


def save_with_reference(
    obj: models.Model, next_reference: Callable[[], str], *, attempts: int = 5
) -> None:
    """Give `obj` a new reference from `next_reference()` and save it.

    If another transaction took the same number meanwhile, the insert fails on
    the unique column; the save is rolled back to a savepoint and retried with
    a fresh number, up to `attempts` times. Other integrity errors are raised.
    """
    model = type(obj)
    for attempt in range(attempts):
        obj.reference = next_reference()
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            taken = model._default_manager.filter(reference=obj.reference).exists()
            if not taken or attempt == attempts - 1:
                raise


def _next_references(model, stem: str, count: int) -> list[str]:
    if count < 0:
        raise ValueError("count must not be negative")
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "Reference numbers must be taken inside transaction.atomic(), "
            "with the row saved in the same transaction."
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(stem.encode())])
    # Numbers are zero-padded to a fixed minimum width, so the longest, then
    # greatest, reference is the highest number.
    last = (
        model._default_manager.filter(reference__regex=f"^{stem}[0-9]+$")
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    start = int(last[len(stem) :]) + 1 if last else 1
    return [f"{stem}{number:0{REFERENCE_DIGITS}d}" for number in range(start, start + count)]
