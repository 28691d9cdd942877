"""Statistical disclosure control: the one place for the small-cell rules.

Every public figure about people (register statistics on the public page,
in open data and in the API, the national roll-up for every year, counts in
public reports) is protected here; staff views keep the true figures.

Method: zero-restricted, controlled random rounding to base 5, keyed
-------------------------------------------------------------------
(See docs/disclosure.md for the full statement and what is published.)

- Every published count is a multiple of `BASE` (5). A count that already
  is a multiple of 5 (0 included) is published as it is; any other count x
  is published as the multiple just below or just above it, upwards with
  probability (x mod 5) / 5, so the rounding is unbiased. A reader who sees
  r therefore only knows that the true value is in [r-4, r+4] (and >= 0):
  a published 0 stands for 0 to 4 people, a published 5 for 1 to 9.
- "Random" is a keyed hash (HMAC with the site's secret) of what is counted
  and of its true value, not a random draw: the same quantity with the same
  value is rounded the same way in every output, every time it is asked
  for, so outputs never disagree and asking again (or next year, for a past
  year) teaches nothing new. Without the secret nobody can recompute the
  draws; the secret must never change (a new secret re-draws every figure,
  and the old and new publications could be intersected).
- Controlled rows: in a table whose rows are the same totals in several
  tables (people of a category in a municipality, broken down by unit, by
  sex, by age group), the row total is rounded once, as a quantity of its
  own (`people_key`), and the row's cells are rounded up or down so that
  they add up exactly to it. Column totals and grand totals are the sums
  of the published cells. So everything published adds up, and solving all
  the published tables together gives no cell a narrower range than its
  own [r-4, r+4]: the only constraints linking the tables are the rounded
  category totals, and every table's row can absorb any value in the
  total's range.
- Tables whose cells are quantities of their own (national roll-up, the
  year a category started) round each cell on its own; their totals are
  the sums of the published cells and carry no further information.

Why not "<5"? Suppressing cells under 5 and printing zeros and margins lets
anyone pin the suppressed cells by solving the margins (an LP with integer,
non-negative cells), and complementary suppressions were printed "<5" while
they held 5 to 30 people. Rounding publishes every cell, never lies about
its range, and needs no solver at run time.
"""

import hashlib
import hmac
from dataclasses import replace

from django.conf import settings

# The smallest group of people that may be told apart, and the rounding base.
THRESHOLD = 5
BASE = THRESHOLD
# An isolated figure that has no published total or breakdown (an indicator's
# actual, a consultation group) may still be withheld when small: shown so.
SMALL_TEXT = "<5"


def _secret() -> bytes:
    # A dedicated setting may replace the site's secret key; either must stay fixed.
    secret = getattr(settings, "DISCLOSURE_SECRET", "") or settings.SECRET_KEY
    return secret.encode()


def uniform(key: tuple) -> float:
    """A number in (0, 1) drawn from the key: the same every time, unguessable without
    the secret."""
    digest = hmac.new(_secret(), repr(key).encode(), hashlib.sha256).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def people_key(municipality_code: str, category_code: str) -> tuple:
    """The key of "people in this category in this municipality": shared by the register's
    tables and the national roll-up, so each publishes the same rounded total."""
    return ("people", municipality_code, category_code)


def round_count(value: int, key: tuple) -> int:
    """One count rounded on its own: a multiple of BASE, unbiased, the same for the same key."""
    low, rest = divmod(value, BASE)
    low *= BASE
    if not rest:
        return value
    return low + BASE if uniform((*key, value)) < rest / BASE else low


def round_row(values, target: int, keys) -> list[int]:
    """The cells of a row rounded so that they add up to `target`.

    `target` is the row total rounded (below or above the true total). It is
    reached by rounding up exactly the needed number of cells that are not
    multiples of BASE, chosen by weighted keyed draws (weight: the cell's
    remainder, so a cell of 4 goes up more often than a cell of 1).
    """
    values = list(values)
    lows = [v - v % BASE for v in values]
    up = (target - sum(lows)) // BASE
    candidates = [i for i, v in enumerate(values) if v % BASE]
    if not 0 <= up <= len(candidates):
        raise ValueError("the target is not a rounding of the row's total")
    # Efraimidis-Spirakis: the largest u ** (1 / weight) win.
    order = sorted(
        candidates,
        key=lambda i: uniform((*keys[i], values[i])) ** (BASE / (values[i] % BASE)),
        reverse=True,
    )
    for i in order[:up]:
        lows[i] += BASE
    return lows


def protect(table, *, cell_key, row_key=None):
    """The table as it may be published: every count rounded, every total a sum.

    cell_key(row, column) -> the key of a cell. With row_key(row) -> the key
    of the row's total, rows are controlled: the total is rounded on its own
    and the cells add up to it. Without it every cell is rounded on its own.
    Works on any object with row_keys, column_keys, cells, row_totals (the
    registry's Table).
    """
    cells = []
    row_totals = []
    for i, row in enumerate(table.row_keys):
        values = table.cells[i]
        keys = [cell_key(row, column) for column in table.column_keys]
        if row_key is not None:
            target = round_count(table.row_totals[i], row_key(row))
            rounded = round_row(values, target, keys)
        else:
            rounded = [round_count(v, k) for v, k in zip(values, keys, strict=True)]
        cells.append(tuple(rounded))
        row_totals.append(sum(rounded))
    column_totals = (
        tuple(sum(column) for column in zip(*cells, strict=True))
        if cells
        else tuple(0 for _ in table.column_keys)
    )
    return replace(
        table,
        cells=tuple(cells),
        row_totals=tuple(row_totals),
        column_totals=column_totals,
        total=sum(row_totals),
        rounding_base=BASE,
    )


def small(value) -> bool:
    """A count that may not be published as it is (1 to 4 people)."""
    return value is not None and 0 < value < THRESHOLD
