"""The attack on everything published about people: no small count can be worked out.

A synthetic country (three municipalities, their registers, cases and
services, four years of tallies) is generated; then, as an attacker would,
the test downloads every public output of the same data through the test
client: each municipality's statistics page, each plan's open-data register
statistics (JSON), and the national roll-up of every year (page and API).
Everything published becomes one system of linear constraints on the true,
integer, non-negative counts:

- every table adds up (cells to row totals, to column totals, to the grand
  total), and the same quantity in two outputs is one unknown (a category's
  people in a municipality: by unit, by sex, by age group, the special
  categories' table and the national roll-up of this year);
- a figure published exactly fixes its unknown; a suppressed one ("<5",
  null) leaves it free; a figure rounded to base b (the output says so)
  puts its unknown within b - 1 of it, for the figures the method rounds
  (cells, and a category's total); the other totals of a rounded table must
  be the sums of its published cells, and then say nothing more.

For every count whose true value is 1 to 4, the attacker minimises and
maximises it (integer programming, scipy's HiGHS). It is disclosed if the
feasible values are fewer than THRESHOLD (5): pinned, or narrowed to, say,
1..3. Before socialplan.disclosure, suppression let the margins pin many.
"""

import csv
import io
import json
from collections import defaultdict

import numpy as np
import pytest
from django.utils import timezone
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_array

from socialplan.national.rollup import national_report
from socialplan.national.synthetic import generate_national
from socialplan.national.tallies import years_to_tally
from socialplan.plan.models import Plan
from socialplan.registry import aggregates
from socialplan.territory.models import Municipality

THRESHOLD = 5
SUM = "Σ"
# Tables of the register whose row totals are people of a category (rounded once).
CATEGORY_TOTAL_TABLES = {"by_unit", "special_totals", "by_sex", "by_age_group"}


class Published:
    """Unknowns, the equations that hold between them, and what was published about each."""

    def __init__(self):
        self.index = {}
        self.equations = []  # (variables, coefficients): sum = 0
        self.boxes = defaultdict(list)  # variable -> [(low, high)]
        self.claims = []  # (key, low, high): what a "<5" says of its figure
        self.values = defaultdict(set)  # key -> every value published for it

    def var(self, key) -> int:
        return self.index.setdefault(key, len(self.index))

    def add_sum(self, parts, whole):
        self.equations.append(
            ([self.var(p) for p in parts] + [self.var(whole)], [1] * len(parts) + [-1])
        )

    def same(self, a, b):
        self.equations.append(([self.var(a), self.var(b)], [1, -1]))

    def publish(self, key, value, base, *, rounded=True):
        """What a figure tells: exact (base 1), within base - 1 (rounded), nothing (suppressed)."""
        self.var(key)
        self.values[key].add(None if value == "<5" else value)
        if value == "<5":
            # It claims 1 to 4; the attacker does not rely on it (it is checked below).
            self.claims.append((key, 1, THRESHOLD - 1))
            return
        if value is None:
            return
        spread = base - 1 if rounded else 0
        self.boxes[self.var(key)].append((max(0, value - spread), value + spread))

    def table(
        self, prefix, rows, columns, cells, row_totals, column_totals, total, base, *, rounded_rows
    ):
        """A published table: its equations and its figures."""
        for i, r in enumerate(rows):
            self.add_sum([(*prefix, r, c) for c in columns], (*prefix, r, SUM))
            for j, c in enumerate(columns):
                self.publish((*prefix, r, c), cells[i][j], base)
        for c in columns:
            self.add_sum([(*prefix, r, c) for r in rows], (*prefix, SUM, c))
        self.add_sum([(*prefix, r, SUM) for r in rows], (*prefix, SUM, SUM))
        for i, r in enumerate(rows):
            if base > 1:
                assert row_totals[i] in (None, sum(cells[i])), "a rounded table adds up"
            # In a rounded table only a category's total is a figure of its own;
            # other totals are sums of published cells: nothing more to learn.
            if base == 1 or rounded_rows:
                self.publish((*prefix, r, SUM), row_totals[i], base)
        for j, c in enumerate(columns):
            if base > 1:
                assert column_totals[j] in (None, sum(row[j] for row in cells)), "columns add up"
            else:
                self.publish((*prefix, SUM, c), column_totals[j], base)
        if base > 1:
            assert total in (None, sum(sum(row) for row in cells)), "the total adds up"
        else:
            self.publish((*prefix, SUM, SUM), total, base)


def _register_table_keys(prefix, table):
    """Truth of a raw register table under the same keys (columns by label)."""
    truth = {}
    for i, r in enumerate(table.row_keys):
        for j, c in enumerate(table.column_labels):
            truth[(*prefix, r, c)] = table.cells[i][j]
        truth[(*prefix, r, SUM)] = table.row_totals[i]
    for j, c in enumerate(table.column_labels):
        truth[(*prefix, SUM, c)] = table.column_totals[j]
    truth[(*prefix, SUM, SUM)] = table.total
    return truth


def _raw_register(municipality, on):
    """The true figures of every register table, keyed like the published ones."""
    categories = list(aggregates.Category.objects.all())
    by_unit = aggregates.people_by_category_and_unit(municipality, on=on, categories=categories)
    special = [i for i, k in enumerate(by_unit.row_keys) if k in by_unit.special_rows]
    special_totals = aggregates.Table.from_counts(
        title="",
        rows=[(by_unit.row_keys[i], "") for i in special],
        columns=[("m", municipality.name)],
        counts={(by_unit.row_keys[i], "m"): by_unit.row_totals[i] for i in special},
    )
    tables = {
        "by_unit": by_unit.without_rows(by_unit.special_rows),
        "special_totals": special_totals,
        "by_sex": aggregates.people_by_category_and_sex(municipality, on=on, categories=categories),
        "by_age_group": aggregates.people_by_category_and_age_group(
            municipality, on=on, categories=categories
        ),
        "by_start_year": aggregates.people_by_category_and_start_year(
            municipality, on=on, categories=categories
        ),
    }
    truth = {}
    for name, table in tables.items():
        truth.update(_register_table_keys(("reg", municipality.code, name), table))
    return truth


def _raw_national(year):
    report = national_report(year, public=False)
    truth = {}
    for name in ("people", "activity"):
        table = getattr(report, name)
        prefix = ("nat", year, name)
        for i, m in enumerate(table.row_keys):
            code = report.codes[m]
            for j, c in enumerate(table.column_keys):
                truth[(*prefix, code, c)] = table.cells[i][j]
            truth[(*prefix, code, SUM)] = table.row_totals[i]
        for j, c in enumerate(table.column_keys):
            truth[(*prefix, SUM, c)] = table.column_totals[j]
        truth[(*prefix, SUM, SUM)] = table.total
    return truth


def _publish_register_table(published, prefix, table, base):
    published.table(
        prefix,
        list(table.row_keys),
        list(table.column_labels),
        table.cells,
        table.row_totals,
        table.column_totals,
        table.total,
        base,
        rounded_rows=prefix[-1] in CATEGORY_TOTAL_TABLES,
    )


def _from_open_data(rows):
    """The open-data rows of one table back into a table."""
    rows_keys, columns = [], []
    cells, row_totals, column_totals, total = {}, {}, {}, None
    for row in rows:
        category, column, count = row["category"], row["column"], row["count"]
        if row["kind"] == "cell":
            if category not in rows_keys:
                rows_keys.append(category)
            if column not in columns:
                columns.append(column)
            cells[(category, column)] = count
        elif row["kind"] == "row_total":
            row_totals[category] = count
        elif row["kind"] == "column_total":
            column_totals[column] = count
        else:
            total = count
    return (
        rows_keys,
        columns,
        [[cells[(r, c)] for c in columns] for r in rows_keys],
        [row_totals[r] for r in rows_keys],
        [column_totals[c] for c in columns],
        total,
    )


def _attack(published, truth, suspects):
    """For each suspect, its feasible integer range given everything published."""
    n = len(published.index)
    # Split into independent groups of unknowns: small problems solve fast.
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for variables, _coefficients in published.equations:
        for v in variables[1:]:
            parent[find(v)] = find(variables[0])
    groups = defaultdict(list)
    for v in range(n):
        groups[find(v)].append(v)
    equations_of = defaultdict(list)
    for equation in published.equations:
        equations_of[find(equation[0][0])].append(equation)

    ranges = {}
    for suspect in suspects:
        root = find(suspect)
        members = groups[root]
        local = {v: k for k, v in enumerate(members)}
        a = lil_array((len(equations_of[root]), len(members)))
        for row, (variables, coefficients) in enumerate(equations_of[root]):
            for v, coefficient in zip(variables, coefficients, strict=True):
                a[row, local[v]] += coefficient
        low = np.zeros(len(members))
        # A bound far above any count keeps every problem bounded.
        high = np.full(len(members), 10.0**6)
        for v in members:
            for lo, hi in published.boxes.get(v, []):
                low[local[v]], high[local[v]] = max(low[local[v]], lo), min(high[local[v]], hi)
        constraints = [LinearConstraint(a.tocsr(), 0, 0)] if len(equations_of[root]) else []
        found = []
        for sign in (1, -1):
            c = np.zeros(len(members))
            c[local[suspect]] = sign
            result = milp(
                c,
                constraints=constraints,
                integrality=np.ones(len(members)),
                bounds=Bounds(low, high),
            )
            assert result.success, "the published figures are consistent with the truth"
            found.append(round(result.x[local[suspect]]))
        ranges[suspect] = (found[0], found[1])
    return ranges


@pytest.mark.django_db
def test_no_small_count_can_be_worked_out_from_everything_published(client, durres_plan):
    today = timezone.localdate()
    generate_national(size="small", seed=7, as_of=today)
    published, truth = Published(), {}

    # Each municipality's statistics page (its tables, as rendered).
    for municipality in Municipality.objects.order_by("code"):
        response = client.get(f"/statistics/{municipality.code}/")
        assert response.status_code == 200
        tables = response.context["tables"]
        for name in ("by_unit", "special_totals", "by_sex", "by_age_group", "by_start_year"):
            table = getattr(tables, name)
            base = getattr(table, "rounding_base", 1)
            _publish_register_table(published, ("reg", municipality.code, name), table, base)
        truth.update(_raw_register(municipality, today))

    # Each plan's open data: the register statistics, as downloaded.
    for plan in Plan.objects.select_related("municipality"):
        response = client.get(f"/open-data/{plan.slug}/register-statistics.json")
        assert response.status_code == 200
        rows = json.loads(response.content)["rows"]
        # The CSV holds the same figures as the JSON.
        csv_rows = client.get(f"/open-data/{plan.slug}/register-statistics.csv")
        reader = csv.DictReader(io.StringIO(csv_rows.content.decode("utf-8-sig")))
        assert [r["count"] for r in reader] == [str(r["count"]) for r in rows]
        for name in {row["table"] for row in rows}:
            own = [row for row in rows if row["table"] == name]
            base = own[0].get("rounded_to", 1)
            published.table(
                ("reg", plan.municipality.code, name),
                *_from_open_data(own),
                base,
                rounded_rows=name in CATEGORY_TOTAL_TABLES,
            )

    # The national roll-up of every year: the API, and the page.
    for year in years_to_tally():
        response = client.get(f"/api/v1/national/{year}")
        assert response.status_code == 200
        data = response.json()
        base = data.get("rounded_to", 1)
        for row in data["municipalities"]:
            for name in ("people", "activity"):
                for column, value in row[name].items():
                    published.publish(("nat", year, name, row["code"], column), value, base)
        for measure, value in data["totals"].items():
            if base == 1:
                published.publish(("nat", year, "activity", SUM, measure), value, base)
        page = client.get(f"/national/{year}/")
        assert page.status_code == 200
        report = page.context["report"]
        for name in ("people", "activity"):
            table = getattr(report, name)
            prefix = ("nat", year, name)
            rows = [report.codes[m] for m in table.row_keys]
            # The activity's measures do not add up across a row: no row sums.
            if name == "people":
                published.table(
                    prefix, rows, list(table.column_keys), table.cells, table.row_totals,
                    table.column_totals, table.total, base, rounded_rows=False,
                )  # fmt: skip
            else:
                for j, measure in enumerate(table.column_keys):
                    published.add_sum(
                        [(*prefix, r, measure) for r in rows], (*prefix, SUM, measure)
                    )
                    for i, r in enumerate(rows):
                        published.publish((*prefix, r, measure), table.cells[i][j], base)
                    if base == 1:
                        published.publish((*prefix, SUM, measure), table.column_totals[j], base)
        truth.update(_raw_national(year))

    # One quantity, several outputs: a category's people in a municipality.
    current, links, disagreements_between = today.year, 0, {}
    for municipality in Municipality.objects.all():
        m = municipality.code
        for category in aggregates.Category.objects.all():
            c = category.code
            places = [
                ("reg", m, t, c, SUM)
                for t in ("by_unit", "by_sex", "by_age_group", "special_totals")
            ]
            places += [
                ("reg", m, "special_totals", c, municipality.name),
                ("nat", current, "people", m, c),
            ]
            places = [p for p in places if p in published.index]
            anchor = ("reg", m, "by_sex", c, SUM)
            for place in places:
                if place != anchor and truth.get(place) == truth[anchor]:
                    published.same(anchor, place)
                    # One quantity, one published figure, wherever it appears.
                    if published.values[anchor] != published.values[place]:
                        disagreements_between[(anchor, place)] = published.values[place]
                    links += 1
    assert links > 50, "the outputs share their category totals"

    # Cases open at the end of a year: those of the year before, plus opened, minus closed.
    years, identities = years_to_tally(), 0
    for municipality in Municipality.objects.all():
        for year in years[1:]:

            def cases(measure, y=year, m=municipality.code):
                return ("nat", y, "activity", m, measure)

            terms = [cases("cases_open"), cases("cases_open", year - 1)]
            terms += [cases("cases_opened"), cases("cases_closed")]
            signs = [1, -1, -1, 1]
            if sum(sign * truth[t] for sign, t in zip(signs, terms, strict=True)) == 0:
                published.equations.append(([published.var(t) for t in terms], signs))
                identities += 1
    assert identities, "the attacker knows how cases carry over from year to year"

    # The truth satisfies what was published: nothing lies about its range.
    for key, v in published.index.items():
        for lo, hi in published.boxes.get(v, []):
            assert lo <= truth[key] <= hi, (key, truth[key], lo, hi)
    # A "<5" must hold fewer than 5 (it once marked cells of 5 to 30 hidden to protect others).
    false_claims = {k: truth[k] for k, lo, hi in published.claims if not lo <= truth[k] <= hi}
    # Outputs never disagree: a figure published twice has one value.
    disagreements = {k: v for k, v in published.values.items() if len(v) > 1}
    disagreements.update(disagreements_between)

    suspects = {published.index[key]: key for key in published.index if 0 < truth[key] < THRESHOLD}
    assert len(suspects) > 50, "the synthetic country has small groups to protect"
    ranges = _attack(published, truth, suspects)
    disclosed = {
        suspects[v]: (truth[suspects[v]], low, high)
        for v, (low, high) in ranges.items()
        if high - low + 1 < THRESHOLD
    }
    assert not disclosed and not false_claims and not disagreements, (
        f"{len(disclosed)} of {len(suspects)} small counts disclosed (true, low, high): "
        f"{sorted(disclosed.items(), key=str)[:6]}; "
        f"{len(false_claims)} figures shown as '<5' hold 5 or more: "
        f"{sorted(false_claims.items(), key=str)[:4]}; "
        f"{len(disagreements)} figures differ between outputs"
    )
