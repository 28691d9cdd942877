"""The national roll-up: every municipality's year in figures, from the tallies only.

Three queries whatever the size of the country: the tallies of the year
summed by municipality, measure and dimension; the municipalities; when the
tallies were refreshed. The public version protects the counts of people and
of their cases with the method of `socialplan.disclosure` (rounding to base
5, keyed): a municipality's people in a category get the very figure the
municipality's own statistics page publishes.
"""

import datetime
from dataclasses import dataclass, replace

from django.db.models import Max, Min, Sum
from django.utils.translation import gettext as _

from socialplan import disclosure
from socialplan.directory.models import Category
from socialplan.monitoring.models import ProgressReport
from socialplan.registry.aggregates import Table
from socialplan.territory.models import Municipality

from .models import Tally, TallyRefresh

Measure = Tally.Measure
# Activity measures shown per municipality, in this order.
ACTIVITY = [
    Measure.CASES_OPENED, Measure.CASES_CLOSED, Measure.CASES_OPEN, Measure.REFERRALS_SENT,
    Measure.REFERRALS_ACCEPTED, Measure.SERVICE_EVENTS, Measure.PEOPLE_SERVED,
]  # fmt: skip


@dataclass
class NationalReport:
    year: int
    public: bool
    municipalities: int
    refreshed_from: datetime.datetime | None
    refreshed_to: datetime.datetime | None
    people: Table  # municipality x category
    activity: Table  # municipality x measure (not summed across measures: see totals)
    progress: Table  # municipality x progress status (approved reports)
    spent: dict[str, int]  # municipality code -> lek, and "" for the country
    codes: dict[int, str]  # municipality id (the tables' row keys) -> code

    @property
    def activity_totals(self) -> list[tuple[str, int | None]]:
        return list(zip(self.activity.column_labels, self.activity.column_totals, strict=True))


def national_report(year: int, *, public: bool) -> NationalReport:
    sums = (
        Tally.objects.filter(year=year)
        .values_list("municipality_id", "measure", "dimension")
        .annotate(value=Sum("value"))
        .order_by()
    )
    counts: dict[tuple, int] = {}
    for municipality_id, measure, dimension, value in sums:
        counts[(municipality_id, measure, dimension)] = value
    places = list(Municipality.objects.order_by("name").values_list("pk", "code", "name"))
    refreshed = TallyRefresh.objects.aggregate(first=Min("refreshed_at"), last=Max("refreshed_at"))
    categories = list(Category.objects.order_by("position"))
    rows = [(pk, name) for pk, _code, name in places]

    people = Table.from_counts(
        title=_("People in the register with a current category, by municipality"),
        rows=rows,
        columns=[(c.code, c.name) for c in categories],
        counts={(m, c): v for (m, measure, c), v in counts.items() if measure == Measure.PEOPLE},
        column_dimension="category",
    )
    activity_counts = {
        (m, measure): v for (m, measure, dim), v in counts.items() if measure in ACTIVITY
    }
    activity = Table.from_counts(
        title=_("Cases, referrals and services, by municipality"),
        rows=rows,
        columns=[(m.value, m.label) for m in ACTIVITY],
        counts=activity_counts,
        column_dimension="measure",
    )
    progress = Table.from_counts(
        title=_("Approved progress reports on the plans, by status"),
        rows=rows,
        columns=[(s.value, s.label) for s in ProgressReport.Status],
        counts={
            (m, status): v
            for (m, measure, status), v in counts.items()
            if measure == Measure.PROGRESS_REPORTS
        },
        column_dimension="status",
    )
    if public:
        # Counts of people, and of cases and services (each about a few people
        # in a small municipality), are protected; progress reports are about
        # activities, not people, and are shown as they are. Each cell is a
        # quantity of its own; totals are sums of the published cells.
        codes = {pk: code for pk, code, _name in places}
        people = disclosure.protect(
            people, cell_key=lambda m, c: disclosure.people_key(codes[m], c)
        )
        # Measures do not add up across a row: no row totals.
        activity = replace(
            disclosure.protect(
                activity, cell_key=lambda m, measure: ("activity", codes[m], year, measure)
            ),
            row_totals=tuple(None for _ in activity.row_keys),
            total=None,
        )
    spent = {code: counts.get((pk, Measure.SPENT, ""), 0) for pk, code, _name in places}
    spent[""] = sum(spent.values())
    return NationalReport(
        year=year,
        public=public,
        municipalities=len(places),
        refreshed_from=refreshed["first"],
        refreshed_to=refreshed["last"],
        people=people,
        activity=activity,
        progress=progress,
        spent=spent,
        codes={pk: code for pk, code, _name in places},
    )
