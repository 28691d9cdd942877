"""Counts of the register, cases and referrals, and the tables the public may see.

Everything here is plain data (dataclasses) built from the database in a
constant number of queries, whatever the number of people; templates, the
API and exports only lay it out. Builders return *raw* counts, for staff who
may see them; anything that can reach the public (portal, open data, the
annual report, the council) goes through `public_people_tables()` (see
`socialplan.disclosure`).

What is counted
---------------
- People: persons not merged into another record (`merged_into` is null), of
  the municipality, with a category of need that is current on the reference
  date `on` (start_date <= on, and no end_date or end_date >= on). A person
  counts once in each category they are in, so a column total counts
  person-categories, not distinct people. Age is the age on `on`.
- "Year the category started" counts category periods (PersonCategory rows)
  started on or before `on` by year, ended or not.
- Cases by step, and through the NJVRN: a case is *managed through the NJVRN*
  when its owner holds an NJVRN membership in the case's municipality (the
  NJVRN is then the case manager). Other cases are run by unit
  administrators, the child-protection worker or the domestic-violence
  coordinator, even if the NJVRN takes part in a case conference.
- Overdue: a case that is not closed and whose step was due before `now`.
- Time to first service: days from `case.opened_at` (identification) to
  `case.first_service_at`, or, when that is not set, to the first reply of an
  accepted referral (a referral in state accepted or outcome reported).

Protection of public figures
----------------------------
Raw tables are for staff. What the public sees goes through
`public_people_tables()`, which protects the tables with the method of
`socialplan.disclosure` (controlled random rounding to base 5, keyed, see
docs/disclosure.md): every count a multiple of 5, each category's total
rounded once and shared by every table (and by the national roll-up), the
cells of a row adding up to it, other totals the sums of published cells.

Special categories (`Category.special`: violence, trafficking, disability,
Roma and Egyptian, substance use, LGBTIQ+) are never broken down by unit in
public: the public unit table leaves them out (its totals then count only
the other categories), and they appear as municipality totals only, in a
table of their own that is protected too.
"""

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, Min, OuterRef, Q, Value, When
from django.db.models.functions import ExtractYear
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from socialplan import disclosure
from socialplan.accounts.models import Membership
from socialplan.cases.models import Case, Referral, Status
from socialplan.directory.models import Category
from socialplan.territory.models import AdministrativeUnit

from .models import Person, PersonCategory

AGE_GROUPS = [("0-17", 0), ("18-64", 18), ("65+", 65)]


@dataclass(frozen=True)
class Table:
    """Counts by row x column, with totals."""

    title: str
    row_keys: tuple
    row_labels: tuple[str, ...]
    column_keys: tuple
    column_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    total: int | None
    # What the columns are ("unit", "sex", "age_group", ...): the public rule
    # for special categories depends on it.
    column_dimension: str = ""
    # Keys of rows that are special categories of personal data.
    special_rows: frozenset = field(default_factory=frozenset)
    # 1: true counts (staff); 5: protected for the public (socialplan.disclosure).
    rounding_base: int = 1

    @property
    def is_protected(self) -> bool:
        return self.rounding_base > 1

    @classmethod
    def from_counts(
        cls,
        *,
        title: str,
        rows: list[tuple],
        columns: list[tuple],
        counts: dict,
        column_dimension: str = "",
        special_rows=(),
    ) -> "Table":
        """rows, columns: (key, label) pairs; counts: {(row_key, column_key): n}."""
        cells = tuple(tuple(counts.get((r, c), 0) for c, _label in columns) for r, _label in rows)
        return cls(
            title=title,
            row_keys=tuple(key for key, _label in rows),
            row_labels=tuple(str(label) for _key, label in rows),
            column_keys=tuple(key for key, _label in columns),
            column_labels=tuple(str(label) for _key, label in columns),
            cells=cells,
            row_totals=tuple(sum(row) for row in cells),
            column_totals=tuple(sum(column) for column in zip(*cells, strict=True))
            if cells
            else tuple(0 for _ in columns),
            total=sum(sum(row) for row in cells),
            column_dimension=column_dimension,
            special_rows=frozenset(special_rows),
        )

    def cell(self, row_key, column_key) -> int | None:
        return self.cells[self.row_keys.index(row_key)][self.column_keys.index(column_key)]

    def row_total(self, row_key) -> int | None:
        return self.row_totals[self.row_keys.index(row_key)]

    def column_total(self, column_key) -> int | None:
        return self.column_totals[self.column_keys.index(column_key)]

    def without_rows(self, keys) -> "Table":
        """The table without these rows; totals are recomputed (raw tables only)."""
        if self.is_protected:
            raise ValueError("rows can only be dropped from a table before protection")
        keep = [i for i, key in enumerate(self.row_keys) if key not in keys]
        return Table.from_counts(
            title=self.title,
            rows=[(self.row_keys[i], self.row_labels[i]) for i in keep],
            columns=list(zip(self.column_keys, self.column_labels, strict=True)),
            counts={
                (self.row_keys[i], column): self.cells[i][j]
                for i in keep
                for j, column in enumerate(self.column_keys)
            },
            column_dimension=self.column_dimension,
            special_rows=self.special_rows - set(keys),
        )

    def display_rows(self) -> list[tuple[str, list[int], int]]:
        """(label, cells, total) for a template."""
        return [
            (label, list(row), total)
            for label, row, total in zip(self.row_labels, self.cells, self.row_totals, strict=True)
        ]


# People ---------------------------------------------------------------------


def _years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier (28 February for 29 February): born on or
    before it, a person is at least `years` old on `day` (see Person.age_on)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _categories() -> list[Category]:
    return list(Category.objects.all())


def _category_rows(categories) -> list[tuple[str, str]]:
    language = translation.get_language() or "sq"
    return [(c.code, c.label(language)) for c in categories]


def _current_categories(municipality, on):
    return PersonCategory.objects.filter(
        person__municipality=municipality,
        person__merged_into__isnull=True,
        start_date__lte=on,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))


def _count_people(queryset, column: str) -> dict:
    rows = queryset.values("category__code", column).annotate(n=Count("person", distinct=True))
    return {(row["category__code"], row[column]): row["n"] for row in rows}


def people_by_category_and_unit(municipality, *, on=None, categories=None) -> Table:
    on = on or timezone.localdate()
    categories = categories if categories is not None else _categories()
    units = AdministrativeUnit.objects.filter(municipality=municipality)
    return Table.from_counts(
        title=_("People by category in need and administrative unit"),
        rows=_category_rows(categories),
        columns=[(unit.pk, unit.name) for unit in units],
        counts=_count_people(_current_categories(municipality, on), "person__unit"),
        column_dimension="unit",
        special_rows={c.code for c in categories if c.special},
    )


def people_by_category_and_sex(municipality, *, on=None, categories=None) -> Table:
    on = on or timezone.localdate()
    categories = categories if categories is not None else _categories()
    return Table.from_counts(
        title=_("People by category in need and sex"),
        rows=_category_rows(categories),
        columns=list(Person.Sex.choices),
        counts=_count_people(_current_categories(municipality, on), "person__sex"),
        column_dimension="sex",
        special_rows={c.code for c in categories if c.special},
    )


def people_by_category_and_age_group(municipality, *, on=None, categories=None) -> Table:
    on = on or timezone.localdate()
    categories = categories if categories is not None else _categories()
    # Oldest group first in the CASE: a person born on or before the cut-off is that old.
    group = SqlCase(
        *[
            When(person__date_of_birth__lte=_years_before(on, age), then=Value(label))
            for label, age in reversed(AGE_GROUPS)
            if age
        ],
        default=Value(AGE_GROUPS[0][0]),
    )
    queryset = _current_categories(municipality, on).annotate(age_group=group)
    return Table.from_counts(
        title=_("People by category in need and age group"),
        rows=_category_rows(categories),
        columns=[(label, label) for label, _age in AGE_GROUPS],
        counts=_count_people(queryset, "age_group"),
        column_dimension="age_group",
        special_rows={c.code for c in categories if c.special},
    )


def people_by_category_and_start_year(municipality, *, on=None, categories=None) -> Table:
    on = on or timezone.localdate()
    categories = categories if categories is not None else _categories()
    queryset = PersonCategory.objects.filter(
        person__municipality=municipality, person__merged_into__isnull=True, start_date__lte=on
    ).annotate(year=ExtractYear("start_date"))
    counts = _count_people(queryset, "year")
    years = sorted({year for _code, year in counts})
    return Table.from_counts(
        title=_("People by category in need and year the category started"),
        rows=_category_rows(categories),
        columns=[(year, str(year)) for year in years],
        counts=counts,
        column_dimension="start_year",
        special_rows={c.code for c in categories if c.special},
    )


@dataclass(frozen=True)
class PublicPeopleTables:
    """The people tables as they may be published: all protected (socialplan.disclosure)."""

    by_unit: Table  # special categories left out (see the module docstring)
    special_totals: Table  # special categories, municipality totals only
    by_sex: Table
    by_age_group: Table
    by_start_year: Table


def public_people_tables(municipality, *, on=None) -> PublicPeopleTables:
    on = on or timezone.localdate()
    categories = _categories()
    by_unit = people_by_category_and_unit(municipality, on=on, categories=categories)
    special = [i for i, key in enumerate(by_unit.row_keys) if key in by_unit.special_rows]
    special_totals = Table.from_counts(
        title=_("People in special categories (municipality totals)"),
        rows=[(by_unit.row_keys[i], by_unit.row_labels[i]) for i in special],
        columns=[("municipality", municipality.name)],
        counts={(by_unit.row_keys[i], "municipality"): by_unit.row_totals[i] for i in special},
        column_dimension="municipality",
        special_rows=by_unit.special_rows,
    )
    code = municipality.code

    def cells(table):
        return lambda row, column: (table, code, row, column)

    def people(row):
        return disclosure.people_key(code, row)

    return PublicPeopleTables(
        by_unit=disclosure.protect(
            by_unit.without_rows(by_unit.special_rows), cell_key=cells("unit"), row_key=people
        ),
        special_totals=disclosure.protect(
            special_totals, cell_key=lambda row, _column: people(row), row_key=people
        ),
        by_sex=disclosure.protect(
            people_by_category_and_sex(municipality, on=on, categories=categories),
            cell_key=cells("sex"),
            row_key=people,
        ),
        by_age_group=disclosure.protect(
            people_by_category_and_age_group(municipality, on=on, categories=categories),
            cell_key=cells("age_group"),
            row_key=people,
        ),
        # Periods started each year are quantities of their own (a past year's
        # stays the same from one day to the next): each cell is rounded alone.
        by_start_year=disclosure.protect(
            people_by_category_and_start_year(municipality, on=on, categories=categories),
            cell_key=cells("start_year"),
        ),
    )


# Cases ----------------------------------------------------------------------


def _njvrn_owner():
    return Exists(
        Membership.objects.filter(
            user=OuterRef("owner"),
            municipality=OuterRef("municipality"),
            role=Membership.Role.NJVRN,
        )
    )


def cases_by_step(municipality) -> Table:
    """Cases by step (rows) and whether managed through the NJVRN (columns).

    Row totals are the cases in each step; the "njvrn" column total is the
    number of cases managed through the NJVRN (see the module docstring).
    """
    rows = (
        Case.objects.filter(municipality=municipality)
        .annotate(njvrn=_njvrn_owner())
        .values("status", "njvrn")
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in rows:
        counts[(row["status"], "njvrn" if row["njvrn"] else "other")] += row["n"]
    return Table.from_counts(
        title=_("Cases by step"),
        rows=list(Status.choices),
        columns=[("njvrn", _("managed through the NJVRN")), ("other", _("other case managers"))],
        counts=counts,
        column_dimension="management",
    )


@dataclass(frozen=True)
class Caseload:
    """One case manager's open cases (staff only: it names people)."""

    owner_id: int
    owner: str
    open_cases: int
    overdue_cases: int
    njvrn: bool


@dataclass(frozen=True)
class UnitCaseload:
    unit_id: int
    unit: str
    open_cases: int
    overdue_cases: int


def _open_and_overdue(now):
    return {
        "open_cases": Count("pk", filter=~Q(status=Status.CLOSED)),
        "overdue_cases": Count("pk", filter=~Q(status=Status.CLOSED) & Q(due_at__lt=now)),
    }


def caseloads(municipality, *, now=None) -> list[Caseload]:
    """Owners with open cases in the municipality, most open cases first."""
    now = now or timezone.now()
    rows = (
        Case.objects.filter(municipality=municipality)
        .annotate(njvrn=_njvrn_owner())
        .values("owner_id", "owner__username", "owner__first_name", "owner__last_name", "njvrn")
        .annotate(**_open_and_overdue(now))
        .filter(open_cases__gt=0)
    )
    merged: dict[int, dict] = {}
    for row in rows:
        name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        entry = merged.setdefault(
            row["owner_id"],
            {"owner": name or row["owner__username"], "open": 0, "overdue": 0, "njvrn": False},
        )
        entry["open"] += row["open_cases"]
        entry["overdue"] += row["overdue_cases"]
        entry["njvrn"] = entry["njvrn"] or row["njvrn"]
    loads = [
        Caseload(
            owner_id=owner_id,
            owner=e["owner"],
            open_cases=e["open"],
            overdue_cases=e["overdue"],
            njvrn=e["njvrn"],
        )
        for owner_id, e in merged.items()
    ]
    return sorted(loads, key=lambda c: (-c.open_cases, c.owner, c.owner_id))


def unit_caseloads(municipality, *, now=None) -> list[UnitCaseload]:
    """Every unit of the municipality, in the usual order, with its open and overdue cases."""
    now = now or timezone.now()
    counts = {
        row["unit_id"]: row
        for row in Case.objects.filter(municipality=municipality)
        .values("unit_id")
        .annotate(**_open_and_overdue(now))
    }
    return [
        UnitCaseload(
            unit_id=unit.pk,
            unit=unit.name,
            open_cases=counts.get(unit.pk, {}).get("open_cases", 0),
            overdue_cases=counts.get(unit.pk, {}).get("overdue_cases", 0),
        )
        for unit in AdministrativeUnit.objects.filter(municipality=municipality)
    ]


# Referrals ------------------------------------------------------------------


def _service_rows(rows) -> list[tuple[int, str]]:
    services = {r["service_id"]: f"{r['service__name']} ({r['organisation__name']})" for r in rows}
    return sorted(services.items(), key=lambda item: (item[1], item[0]))


def referrals_by_service_and_state(municipality) -> Table:
    rows = list(
        Referral.objects.filter(case__municipality=municipality)
        .values("service_id", "service__name", "organisation__name", "state")
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in rows:
        counts[(row["service_id"], row["state"])] += row["n"]
    return Table.from_counts(
        title=_("Referrals by service and state"),
        rows=_service_rows(rows),
        columns=list(Referral.State.choices),
        counts=counts,
        column_dimension="state",
    )


def referrals_by_service_and_outcome(municipality) -> Table:
    """Referrals whose outcome was reported, by service and outcome."""
    rows = list(
        Referral.objects.filter(case__municipality=municipality, state=Referral.State.COMPLETED)
        .values("service_id", "service__name", "organisation__name", "outcome")
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in rows:
        counts[(row["service_id"], row["outcome"])] += row["n"]
    columns = list(Referral.Outcome.choices)
    if any(outcome == "" for _service, outcome in counts):
        columns.append(("", _("not recorded")))
    return Table.from_counts(
        title=_("Referrals by service and outcome"),
        rows=_service_rows(rows),
        columns=columns,
        counts=counts,
        column_dimension="outcome",
    )


@dataclass(frozen=True)
class TimeToService:
    """Days from identification to first service, over cases that reached one."""

    median_days: float | None
    cases: int  # cases with a first service, counted in the median
    waiting: int  # open cases without a first service yet


def time_to_first_service(municipality) -> TimeToService:
    accepted = Q(referrals__state__in=[Referral.State.ACCEPTED, Referral.State.COMPLETED])
    rows = (
        Case.objects.filter(municipality=municipality)
        .annotate(first_accepted=Min("referrals__responded_at", filter=accepted))
        .values_list("opened_at", "first_service_at", "first_accepted", "status")
    )
    days, waiting = [], 0
    for opened_at, first_service_at, first_accepted, status in rows:
        first = first_service_at or first_accepted
        if first is None:
            waiting += status != Status.CLOSED
            continue
        days.append((first - opened_at).total_seconds() / 86400)
    return TimeToService(
        median_days=round(statistics.median(days), 1) if days else None,
        cases=len(days),
        waiting=waiting,
    )


# Everything at once ---------------------------------------------------------


@dataclass(frozen=True)
class Aggregates:
    """The raw figures for the director's dashboard (staff only; protect before publishing)."""

    on: datetime.date
    people_by_unit: Table
    people_by_sex: Table
    people_by_age_group: Table
    people_by_start_year: Table
    cases_by_step: Table
    caseloads: list[Caseload]
    unit_caseloads: list[UnitCaseload]
    referrals_by_service_and_state: Table
    referrals_by_service_and_outcome: Table
    time_to_first_service: TimeToService


def build_aggregates(municipality, *, on=None, now=None) -> Aggregates:
    """All the figures of one municipality, in a constant number of queries."""
    now = now or timezone.now()
    on = on or timezone.localdate(now)
    categories = _categories()
    return Aggregates(
        on=on,
        people_by_unit=people_by_category_and_unit(municipality, on=on, categories=categories),
        people_by_sex=people_by_category_and_sex(municipality, on=on, categories=categories),
        people_by_age_group=people_by_category_and_age_group(
            municipality, on=on, categories=categories
        ),
        people_by_start_year=people_by_category_and_start_year(
            municipality, on=on, categories=categories
        ),
        cases_by_step=cases_by_step(municipality),
        caseloads=caseloads(municipality, now=now),
        unit_caseloads=unit_caseloads(municipality, now=now),
        referrals_by_service_and_state=referrals_by_service_and_state(municipality),
        referrals_by_service_and_outcome=referrals_by_service_and_outcome(municipality),
        time_to_first_service=time_to_first_service(municipality),
    )
