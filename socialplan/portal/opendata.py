"""Open data: the datasets the portal publishes, their data dictionaries, and the writers.

Each dataset is plain data: a code (used in URLs and file names), a title, a
description, the fields of its data dictionary (name, meaning, unit,
source), and `rows(plan)`, a list of dicts built in a constant number of
queries whatever the number of rows. Only public figures reach a row:
progress and actuals from approved reports only, register counts only from
the protected public tables (rounded to a multiple of 5: socialplan.disclosure,
the same figures as the public pages and the API), the directory as its
HSDS export (which never holds a confidential address), and no free text
written about people.

The writers lay the same rows out as CSV (UTF-8 with a BOM, so Excel reads
Albanian letters; comma separated, quoted where needed), XLSX (the data,
then the dictionary on a sheet "Fjalori") or JSON. In CSV and XLSX every
text cell goes through `safe_cell`, so no cell can become a formula; JSON
keeps the text as it is (no spreadsheet reads it).
"""

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.functional import Promise

# Lazy: the registry is built at import, the strings are read in the visitor's language.
from django.utils.translation import gettext_lazy as _

from socialplan import disclosure
from socialplan.dbrouting import reporting
from socialplan.directory import hsds
from socialplan.monitoring.annual import PEOPLE_METRICS, SMALL
from socialplan.monitoring.indicators import indicator_rows
from socialplan.monitoring.models import ProgressReport, Spending
from socialplan.monitoring.reports import activity_statuses
from socialplan.plan.models import Activity, BudgetLine, FundingSource, Plan
from socialplan.plan.reconciliation import reconcile
from socialplan.registry.aggregates import public_people_tables
from socialplan.uploads import safe_cell

# --- Units and sources the dictionaries share -----------------------------------

TEXT = _("text")
CODE = _("code")
NUMBER = _("number")
LEK = _("lek (whole number)")
YEAR = _("year")
BOOLEAN = _("true or false")
LINE = _("line number")
PEOPLE = _("people (“<5”: fewer than 5, not published)")
ROUNDED_PEOPLE = _("people, rounded to a multiple of 5")

PLAN_DOCUMENT = _("the plan document, as printed (the plan's reviewed data file)")
PLAN_COMPUTED = _("computed by the system from the plan's budget lines")
REPORTS = _("approved progress reports")
REGISTER = _("the municipality's register of people in need, rounded to a multiple of 5")
DIAGNOSIS = _("the plan's diagnosis and statistics annex, as printed")
DIRECTORY = _("the services directory (HSDS 3.0 export)")
SYSTEM = _("the system")


@dataclass(frozen=True)
class Field:
    name: str
    meaning: Promise | str
    unit: Promise | str
    source: Promise | str


@dataclass(frozen=True)
class Dataset:
    code: str
    title: Promise | str
    description: Promise | str
    fields: tuple[Field, ...]
    rows: Callable[[Plan], list[dict]]
    # Extra top-level content of the JSON download (the HSDS dataset itself).
    document: Callable[[Plan], dict] | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


ACTIVITY_ORDER = (
    "measure__objective__priority__number",
    "measure__objective__position",
    "measure__number",
    "position",
)


def _where(activity: Activity) -> dict:
    """Where an activity sits in the plan: the first columns of several datasets."""
    measure = activity.measure
    objective = measure.objective
    return {
        "priority": objective.priority.number,
        "objective": objective.code,
        "measure": measure.number,
        "activity_code": activity.code,
    }


PLACE_FIELDS = (
    Field("priority", _("number of the priority"), NUMBER, PLAN_DOCUMENT),
    Field("objective", _("code of the specific objective (e.g. 1.1)"), CODE, PLAN_DOCUMENT),
    Field("measure", _("number of the measure within its objective"), NUMBER, PLAN_DOCUMENT),
    Field(
        "activity_code",
        _("code of the activity as printed (codes may repeat or be missing)"),
        CODE,
        PLAN_DOCUMENT,
    ),
)


# --- The plan ----------------------------------------------------------------------


def plan_activity_rows(plan: Plan) -> list[dict]:
    activities = (
        Activity.objects.filter(measure__objective__priority__plan=plan)
        .select_related("parent", "measure__objective__priority")
        .prefetch_related("budget_lines")
        .order_by(*ACTIVITY_ORDER)
    )
    rows = []
    for activity in activities:
        lines = activity.budget_lines.all()
        measure = activity.measure
        rows.append(
            {
                **_where(activity),
                "priority_title": measure.objective.priority.title,
                "objective_title": measure.objective.title,
                "measure_title": measure.title,
                "activity_position": activity.position,
                "parent_code": activity.parent.code if activity.parent_id else None,
                "title": activity.title,
                "indicator": activity.indicator,
                "start_year": activity.start_year,
                "end_year": activity.end_year,
                "lead": activity.lead,
                "contributor": activity.contributor,
                "budget_total": sum(line.total for line in lines if line.amount is not None),
                "budget_lines_without_amount": sum(1 for line in lines if line.amount is None),
                "source_line": activity.line,
            }
        )
    return rows


PLAN_ACTIVITIES = Dataset(
    code="plan-activities",
    title=_("The plan: priorities, objectives, measures and activities"),
    description=_(
        "One row per activity of the plan, with where it sits in the plan, its indicator, "
        "years, lead institution and computed budget."
    ),
    fields=(
        *PLACE_FIELDS[:3],
        Field("activity_code", PLACE_FIELDS[3].meaning, CODE, PLAN_DOCUMENT),
        Field("priority_title", _("title of the priority"), TEXT, PLAN_DOCUMENT),
        Field("objective_title", _("title of the specific objective"), TEXT, PLAN_DOCUMENT),
        Field("measure_title", _("title of the measure"), TEXT, PLAN_DOCUMENT),
        Field(
            "activity_position",
            _("place of the activity within its measure (identifies it)"),
            NUMBER,
            PLAN_DOCUMENT,
        ),
        Field(
            "parent_code",
            _("code of the activity this one is a sub-activity of"),
            CODE,
            PLAN_DOCUMENT,
        ),
        Field("title", _("title of the activity"), TEXT, PLAN_DOCUMENT),
        Field("indicator", _("the activity's indicator, as printed"), TEXT, PLAN_DOCUMENT),
        Field("start_year", _("first year of the activity, as printed"), YEAR, PLAN_DOCUMENT),
        Field("end_year", _("last year of the activity, as printed"), YEAR, PLAN_DOCUMENT),
        Field("lead", _("lead institution"), TEXT, PLAN_DOCUMENT),
        Field("contributor", _("contributing institutions"), TEXT, PLAN_DOCUMENT),
        Field(
            "budget_total",
            _(
                "budget of the activity over the period: the sum of its budget lines, a "
                "per-year amount counted once per year of the activity"
            ),
            LEK,
            PLAN_COMPUTED,
        ),
        Field(
            "budget_lines_without_amount",
            _("budget lines whose printed amount cannot be read (not in the total)"),
            NUMBER,
            PLAN_COMPUTED,
        ),
        Field("source_line", _("line of the plan's text the row was read from"), LINE, SYSTEM),
    ),
    rows=plan_activity_rows,
)


def budget_line_rows(plan: Plan) -> list[dict]:
    lines = (
        BudgetLine.objects.filter(activity__measure__objective__priority__plan=plan)
        .select_related("activity__measure__objective__priority")
        .order_by(*(f"activity__{key}" for key in ACTIVITY_ORDER), "position")
    )
    labels = dict(FundingSource.choices)
    return [
        {
            **_where(line.activity),
            "activity_title": line.activity.title,
            "line_position": line.position,
            "printed": line.printed,
            "amount": line.amount,
            "per_year": line.per_year,
            "years_counted": line.year_count,
            "total": line.total,
            "source": line.source,
            "source_label": str(labels[line.source]),
            "funder": line.funder,
            "interpretation": line.interpretation,
            "source_line": line.line,
        }
        for line in lines
    ]


BUDGET_LINES = Dataset(
    code="budget-lines",
    title=_("Budget lines"),
    description=_(
        "Every budget line of the plan: the amount as printed beside the amount read from it, "
        "whether it is per year, the funding source and funder, and how an unclear figure "
        "was read."
    ),
    fields=(
        *PLACE_FIELDS,
        Field("activity_title", _("title of the activity"), TEXT, PLAN_DOCUMENT),
        Field("line_position", _("place of the line within the activity"), NUMBER, SYSTEM),
        Field("printed", _("the amount as the document prints it"), TEXT, PLAN_DOCUMENT),
        Field(
            "amount",
            _("the amount read from the printed text; empty when it cannot be read"),
            LEK,
            PLAN_DOCUMENT,
        ),
        Field("per_year", _("the amount is per year of the activity"), BOOLEAN, PLAN_DOCUMENT),
        Field(
            "years_counted",
            _("how many times the amount counts (the activity's years, if per year)"),
            NUMBER,
            PLAN_COMPUTED,
        ),
        Field("total", _("amount x years counted"), LEK, PLAN_COMPUTED),
        Field(
            "source",
            _(
                "funding source: municipality, donor, donor_uncovered (not yet secured), "
                "central_government, provider or unknown"
            ),
            CODE,
            PLAN_DOCUMENT,
        ),
        Field("source_label", _("the funding source in words"), TEXT, PLAN_DOCUMENT),
        Field("funder", _("the funder the document names, if any"), TEXT, PLAN_DOCUMENT),
        Field(
            "interpretation",
            _("how an unclear printed figure was read, and why"),
            TEXT,
            PLAN_DOCUMENT,
        ),
        Field("source_line", _("line of the plan's text the row was read from"), LINE, SYSTEM),
    ),
    rows=budget_line_rows,
)


def reconciliation_rows(plan: Plan) -> list[dict]:
    report = reconcile(plan)
    rows = []
    for scope in [report.whole, *report.priorities, *report.objectives]:
        for comparison in scope.comparisons:
            declared = comparison.declared
            rows.append(
                {
                    "check": "budget_lines",
                    "scope": scope.label,
                    "priority": scope.priority,
                    "objective": scope.objective,
                    "group": declared.group,
                    "where": declared.where,
                    "printed": declared.printed,
                    "declared": declared.amount,
                    "computed": comparison.computed,
                    "difference": comparison.difference,
                    "agrees": comparison.agrees,
                    "source_line": declared.line,
                }
            )
    for check in report.arithmetic:
        stated = check.stated
        rows.append(
            {
                "check": check.kind,
                "scope": check.scope,
                "priority": stated.priority.number if stated.priority_id else None,
                "objective": stated.objective.code if stated.objective_id else None,
                "group": check.group,
                "where": stated.where,
                "printed": stated.printed,
                "declared": stated.amount,
                "computed": check.sum,
                "difference": check.difference,
                "agrees": check.agrees,
                "source_line": stated.line,
            }
        )
    return rows


RECONCILIATION = Dataset(
    code="reconciliation",
    title=_("Budget reconciliation: declared totals against computed totals"),
    description=_(
        "Each total the document declares beside the same total computed from its budget "
        "lines, and the document's own sums checked within its tables; the difference is "
        "declared minus computed."
    ),
    fields=(
        Field(
            "check",
            _(
                "budget_lines: a declared total against the budget lines; row: municipality + "
                "non-municipal = total in one row; column: the priorities add up to the plan; "
                "sheets: the action sheets add up to the summary table"
            ),
            CODE,
            SYSTEM,
        ),
        Field("scope", _("plan, P<n> (a priority) or OS <code> (an objective)"), CODE, SYSTEM),
        Field("priority", _("number of the priority, if the scope is one"), NUMBER, SYSTEM),
        Field("objective", _("code of the objective, if the scope is one"), CODE, SYSTEM),
        Field("group", _("total, municipality or non_municipal"), CODE, PLAN_DOCUMENT),
        Field(
            "where",
            _("the table that prints the total: summary_table, action_plan_total, action_sheet"),
            CODE,
            PLAN_DOCUMENT,
        ),
        Field("printed", _("the declared total as printed"), TEXT, PLAN_DOCUMENT),
        Field("declared", _("the declared total, read"), LEK, PLAN_DOCUMENT),
        Field(
            "computed",
            _(
                "for budget_lines, the sum of the budget lines (per-year lines once per "
                "year); otherwise the sum of the declared parts"
            ),
            LEK,
            PLAN_COMPUTED,
        ),
        Field("difference", _("declared minus computed"), LEK, PLAN_COMPUTED),
        Field("agrees", _("the difference is zero"), BOOLEAN, PLAN_COMPUTED),
        Field("source_line", _("line of the plan's text of the declared total"), LINE, SYSTEM),
    ),
    rows=reconciliation_rows,
)


# --- Monitoring -------------------------------------------------------------------------


def _number(value):
    return None if value is None else Decimal(value)


def indicator_dataset_rows(plan: Plan) -> list[dict]:
    rows = []
    for year in plan.years:
        for row in indicator_rows(plan, year):
            target = row.target
            activity = target.activity
            actual, how = _number(row.actual), row.how
            link = getattr(target, "link", None)
            if (
                row.computed
                and link is not None
                and link.metric in PEOPLE_METRICS
                and actual is not None
                and 0 < actual < SMALL
            ):
                actual, how = disclosure.SMALL_TEXT, _("fewer than 5 people: not published")
            rows.append(
                {
                    "year": year,
                    **_where(activity),
                    "activity_title": activity.title,
                    "target_position": target.position,
                    "target": target.text,
                    "unit": target.unit,
                    "per": target.per,
                    "planned": _number(row.planned),
                    "actual": actual,
                    "computed": row.computed,
                    "how": how,
                }
            )
    return rows


INDICATORS = Dataset(
    code="indicators",
    title=_("Indicators: targets and actuals by year"),
    description=_(
        "For each year of the plan, each measurable target of an activity: the value planned "
        "for that year and the actual, from approved progress reports or computed from the "
        "system's own data."
    ),
    fields=(
        Field("year", _("the year"), YEAR, SYSTEM),
        *PLACE_FIELDS,
        Field("activity_title", _("title of the activity"), TEXT, PLAN_DOCUMENT),
        Field(
            "target_position", _("place of the target in the activity's indicator"), NUMBER, SYSTEM
        ),
        Field("target", _("the target as printed"), TEXT, PLAN_DOCUMENT),
        Field("unit", _("what the target counts"), TEXT, PLAN_DOCUMENT),
        Field(
            "per",
            _("year: the target holds each year; period: for the whole period"),
            CODE,
            PLAN_DOCUMENT,
        ),
        Field(
            "planned",
            _("value expected in that year (a period target counts in its last year)"),
            NUMBER,
            PLAN_DOCUMENT,
        ),
        Field(
            "actual",
            _("value reached in that year; empty if not reported; “<5” for fewer than 5 people"),
            NUMBER,
            _("approved progress reports, or the system's own data (see computed)"),
        ),
        Field(
            "computed",
            _("the actual is computed from the system's data rather than reported"),
            BOOLEAN,
            SYSTEM,
        ),
        Field("how", _("how the actual was obtained"), TEXT, SYSTEM),
    ),
    rows=indicator_dataset_rows,
)

NOT_REPORTED = "none"


def progress_rows(plan: Plan) -> list[dict]:
    # Leaves only: a parent row is reported through its sub-activities (as monitoring does).
    activities = list(
        Activity.objects.filter(measure__objective__priority__plan=plan, children__isnull=True)
        .select_related("measure__objective__priority")
        .prefetch_related("budget_lines")
        .order_by(*ACTIVITY_ORDER)
    )
    spent = {
        (row["report__activity"], row["report__year"]): row["total"]
        for row in Spending.objects.filter(
            report__plan=plan, report__state=ProgressReport.State.APPROVED
        )
        .values("report__activity", "report__year")
        .annotate(total=Sum("amount"))
    }
    labels = {**dict(ProgressReport.Status.choices), NOT_REPORTED: _("no approved report")}
    rows = []
    for year in plan.years:
        statuses = activity_statuses(plan, year)
        for activity in activities:
            if activity.years and year not in activity.years:
                continue
            status = statuses.get(activity.pk, NOT_REPORTED)
            planned = sum(
                line.amount_by_year().get(year, 0) for line in activity.budget_lines.all()
            )
            rows.append(
                {
                    "year": year,
                    **_where(activity),
                    "activity_title": activity.title,
                    "status": status,
                    "status_label": str(labels[status]),
                    "planned_spending": planned,
                    "spent": spent.get((activity.pk, year), 0),
                }
            )
    return rows


PROGRESS = Dataset(
    code="progress",
    title=_("Progress of the activities by year"),
    description=_(
        "For each year, each activity running that year: its status in the approved progress "
        "reports, the spending planned for the year and the spending reported."
    ),
    fields=(
        Field("year", _("the year"), YEAR, SYSTEM),
        *PLACE_FIELDS,
        Field("activity_title", _("title of the activity"), TEXT, PLAN_DOCUMENT),
        Field(
            "status",
            _(
                "not_started, on_track, delayed, done, cancelled, or none (no approved "
                "report); with several reporters, the most advanced status"
            ),
            CODE,
            REPORTS,
        ),
        Field("status_label", _("the status in words"), TEXT, REPORTS),
        Field(
            "planned_spending",
            _(
                "the activity's budget for the year: per-year amounts in full, other amounts "
                "split evenly over its years (a reading: the plan does not phase them)"
            ),
            LEK,
            PLAN_COMPUTED,
        ),
        Field("spent", _("spending reported for the year"), LEK, REPORTS),
    ),
    rows=progress_rows,
)


# --- Needs, register and directory ---------------------------------------------------------


def needs_rows(plan: Plan) -> list[dict]:
    municipality = plan.municipality
    titles = {t.table: t.title for t in municipality.statistics_tables.all()}
    figures = municipality.need_figures.select_related("category", "unit")
    return [
        {
            "table": figure.table,
            "table_title": titles.get(figure.table, ""),
            "label": figure.label,
            "category": figure.category.code if figure.category_id else None,
            "measure": figure.measure,
            "counted_in": figure.unit_of_count,
            "area": figure.area,
            "unit": figure.unit.name if figure.unit_id else None,
            "year": figure.year,
            "period": figure.period,
            "sex": figure.sex,
            "age_group": figure.age_group,
            "breakdowns": figure.dimensions or None,
            "value": figure.value,
            "printed": figure.printed,
            "source_line": figure.line,
            "note": figure.note,
        }
        for figure in figures
    ]


NEEDS_FIGURES = Dataset(
    code="needs-figures",
    title=_("Figures of people in need, as the plan prints them"),
    description=_(
        "The figures of the plan's diagnosis and statistics annex: people in need and people "
        "receiving services by category, area, year, sex and age, as printed beside the "
        "value read."
    ),
    fields=(
        Field("table", _("the table that prints the figure (empty: in the text)"), CODE, DIAGNOSIS),
        Field("table_title", _("title of that table, as printed"), TEXT, DIAGNOSIS),
        Field("label", _("the row label, as printed"), TEXT, DIAGNOSIS),
        Field("category", _("code of the category in need, if one applies"), CODE, DIAGNOSIS),
        Field("measure", _("need, served or context"), CODE, DIAGNOSIS),
        Field("counted_in", _("what is counted (people, families, ...)"), TEXT, DIAGNOSIS),
        Field("area", _("municipality, urban_area or a unit's code"), CODE, DIAGNOSIS),
        Field("unit", _("administrative unit, if the figure is for one"), TEXT, DIAGNOSIS),
        Field("year", _("year of the figure"), YEAR, DIAGNOSIS),
        Field("period", _("period as printed"), TEXT, DIAGNOSIS),
        Field("sex", _("female or male, if broken down"), CODE, DIAGNOSIS),
        Field("age_group", _("age group, if broken down"), TEXT, DIAGNOSIS),
        Field("breakdowns", _("other breakdowns (JSON)"), TEXT, DIAGNOSIS),
        Field("value", _("the value read from the printed figure"), NUMBER, DIAGNOSIS),
        Field("printed", _("the figure as printed"), TEXT, DIAGNOSIS),
        Field("source_line", _("line of the plan's text of the figure"), LINE, SYSTEM),
        Field("note", _("how the figure was read"), TEXT, DIAGNOSIS),
    ),
    rows=needs_rows,
)

# Public name of each table of `PublicPeopleTables`, in the order published.
PEOPLE_TABLES = ("by_unit", "special_totals", "by_sex", "by_age_group", "by_start_year")


def register_rows(plan: Plan) -> list[dict]:
    on = timezone.localdate()
    tables = public_people_tables(plan.municipality, on=on)
    rows = []

    def add(name, table, category, label, column, kind, value):
        rows.append(
            {
                "on": on,
                "table": name,
                "table_title": table.title,
                "dimension": table.column_dimension,
                "category": category,
                "category_label": label,
                "column": column,
                "kind": kind,
                # Protected (socialplan.disclosure): a multiple of 5, the true
                # count within 4 of it; totals are sums of the rounded cells.
                "count": value,
                "rounded_to": table.rounding_base,
            }
        )

    for name in PEOPLE_TABLES:
        table = getattr(tables, name)
        for i, (category, label) in enumerate(zip(table.row_keys, table.row_labels, strict=True)):
            for column, value in zip(table.column_labels, table.cells[i], strict=True):
                add(name, table, category, label, column, "cell", value)
            add(name, table, category, label, None, "row_total", table.row_totals[i])
        for column, value in zip(table.column_labels, table.column_totals, strict=True):
            add(name, table, None, None, column, "column_total", value)
        add(name, table, None, None, None, "total", table.total)
    return rows


REGISTER_STATISTICS = Dataset(
    code="register-statistics",
    title=_("People in need registered (rounded statistics)"),
    description=_(
        "Counts from the municipality's register of people in need, by category and unit, "
        "sex, age group and year the category started. Every count is rounded to a multiple "
        "of 5 (0 stands for 0 to 4 people, 5 for 1 to 9), the same way in every download, "
        "page and year; totals are the sums of the rounded counts; special categories are "
        "counted only for the whole municipality."
    ),
    fields=(
        Field("on", _("the date the counts hold on"), _("date (YYYY-MM-DD)"), SYSTEM),
        Field(
            "table",
            _("by_unit, special_totals, by_sex, by_age_group or by_start_year"),
            CODE,
            SYSTEM,
        ),
        Field("table_title", _("title of the table"), TEXT, SYSTEM),
        Field("dimension", _("what the columns are (unit, sex, age_group, ...)"), CODE, SYSTEM),
        Field(
            "category",
            _("code of the category in need (empty for a column total)"),
            CODE,
            REGISTER,
        ),
        Field("category_label", _("the category in words"), TEXT, REGISTER),
        Field("column", _("the column: a unit, a sex, an age group, a year"), TEXT, REGISTER),
        Field(
            "kind",
            _("cell, row_total (a category), column_total, or total (the grand total)"),
            CODE,
            SYSTEM,
        ),
        Field(
            "count",
            _("people (a person counts once in each of their categories), rounded"),
            ROUNDED_PEOPLE,
            REGISTER,
        ),
        Field(
            "rounded_to",
            _("the rounding base: the true count is within rounded_to - 1 of the count"),
            NUMBER,
            SYSTEM,
        ),
    ),
    rows=register_rows,
)


def _joined(values) -> str | None:
    values = [str(v) for v in values if v not in (None, "")]
    return "; ".join(values) if values else None


def directory_rows(plan: Plan) -> list[dict]:
    data = hsds.export_dataset(plan.municipality)
    organisations = {o["id"]: o for o in data["organizations"]}
    terms = {t["id"]: t for t in data["taxonomy_terms"]}
    locations = {loc["id"]: loc for loc in data["locations"]}
    at = defaultdict(list)
    for link in data["service_at_locations"]:
        at[link["service_id"]].append(locations[link["location_id"]])
    rows = []
    for service in data["services"]:
        service_terms = [terms.get(a["taxonomy_term_id"], {}) for a in service["attributes"]]
        addresses = [a for loc in at[service["id"]] for a in loc.get("addresses", [])]
        contacts = service.get("contacts", [])
        rows.append(
            {
                "id": service["id"],
                "name": service["name"],
                "organization_id": service["organization_id"],
                "organization": organisations[service["organization_id"]]["name"],
                "description": service.get("description"),
                "status": service["status"],
                "type": _joined(
                    t.get("code") for t in service_terms if t.get("taxonomy") == hsds.TYPE_TAXONOMY
                ),
                "categories": _joined(
                    t.get("code")
                    for t in service_terms
                    if t.get("taxonomy") == hsds.CATEGORY_TAXONOMY
                ),
                "service_areas": _joined(a["name"] for a in service.get("service_areas", [])),
                "minimum_age": service.get("minimum_age"),
                "maximum_age": service.get("maximum_age"),
                "phone": _joined(p["number"] for p in service.get("phones", [])),
                "email": service.get("email"),
                "schedule": _joined(s["description"] for s in service.get("schedules", [])),
                "application_process": service.get("application_process"),
                "funding": _joined(f["source"] for f in service.get("funding", [])),
                "address": _joined(a["address_1"] for a in addresses),
                "confidential_location": any(
                    c.get("title") == hsds.CONFIDENTIAL_CONTACT_TITLE for c in contacts
                ),
                "public_contact": _joined(c.get("name") for c in contacts),
            }
        )
    return rows


DIRECTORY_HSDS = Dataset(
    code="directory-hsds",
    title=_("Services directory (HSDS)"),
    description=_(
        "The social services of the municipality, one row per service, read from its Open "
        "Referral HSDS 3.0 export; the JSON download also holds the whole HSDS dataset under "
        "“hsds”. A confidential service (a refuge) has no address, only a public "
        "contact point."
    ),
    fields=(
        Field("id", _("HSDS identifier of the service (stable across exports)"), CODE, DIRECTORY),
        Field("name", _("name of the service"), TEXT, DIRECTORY),
        Field("organization_id", _("HSDS identifier of the organisation"), CODE, DIRECTORY),
        Field("organization", _("name of the organisation running it"), TEXT, DIRECTORY),
        Field("description", _("description"), TEXT, DIRECTORY),
        Field("status", _("active, inactive (planned) or defunct (closed)"), CODE, DIRECTORY),
        Field("type", _("type of social care service (law 121/2016)"), CODE, DIRECTORY),
        Field("categories", _("codes of the categories in need it serves"), CODE, DIRECTORY),
        Field("service_areas", _("administrative units it serves"), TEXT, DIRECTORY),
        Field("minimum_age", _("minimum age served"), _("years of age"), DIRECTORY),
        Field("maximum_age", _("maximum age served"), _("years of age"), DIRECTORY),
        Field("phone", _("phone numbers"), TEXT, DIRECTORY),
        Field("email", _("e-mail address"), TEXT, DIRECTORY),
        Field("schedule", _("opening hours"), TEXT, DIRECTORY),
        Field("application_process", _("how to apply"), TEXT, DIRECTORY),
        Field("funding", _("how the service is funded"), CODE, DIRECTORY),
        Field(
            "address",
            _("address; always empty for a confidential location"),
            TEXT,
            DIRECTORY,
        ),
        Field("confidential_location", _("the location is confidential"), BOOLEAN, DIRECTORY),
        Field(
            "public_contact",
            _("the public contact point of a confidential service"),
            TEXT,
            DIRECTORY,
        ),
    ),
    rows=directory_rows,
    document=lambda plan: {"hsds": hsds.export_dataset(plan.municipality)},
)


DATASETS: dict[str, Dataset] = {
    d.code: d
    for d in (
        PLAN_ACTIVITIES,
        BUDGET_LINES,
        RECONCILIATION,
        INDICATORS,
        PROGRESS,
        NEEDS_FIGURES,
        REGISTER_STATISTICS,
        DIRECTORY_HSDS,
    )
}
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


# --- Writers --------------------------------------------------------------------------------


def plain(value):
    """One value as data: numbers stay numbers, lists and dicts become text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return _joined(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dictionary_rows(dataset: Dataset) -> list[list[str]]:
    return [[f.name, str(f.meaning), str(f.unit), str(f.source)] for f in dataset.fields]


def write_csv(dataset: Dataset, rows: list[dict]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # the BOM: Excel then reads UTF-8 (ë, ç)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in dataset.field_names])
    for row in rows:
        cells = []
        for name in dataset.field_names:
            value = safe_cell(plain(row.get(name)))
            if value is None:
                value = ""
            elif isinstance(value, bool):
                value = "true" if value else "false"
            cells.append(value)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def _xlsx_cell(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = plain(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return safe_cell(value)


def write_xlsx(dataset: Dataset, rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.title = str(dataset.title)
    data = book.create_sheet(dataset.code[:31])
    data.append([_xlsx_cell(name) for name in dataset.field_names])
    for row in rows:
        data.append([_xlsx_cell(row.get(name)) for name in dataset.field_names])
    dictionary = book.create_sheet("Fjalori")
    dictionary.append([_xlsx_cell(str(dataset.title))])
    dictionary.append([_xlsx_cell(str(dataset.description))])
    dictionary.append([])
    dictionary.append([_xlsx_cell(h) for h in (_("Field"), _("Meaning"), _("Unit"), _("Source"))])
    for cells in dictionary_rows(dataset):
        dictionary.append([_xlsx_cell(c) for c in cells])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_json(dataset: Dataset, rows: list[dict], plan: Plan) -> bytes:
    document = {
        "dataset": {
            "code": dataset.code,
            "title": str(dataset.title),
            "description": str(dataset.description),
            "plan": plan.slug,
            "municipality": plan.municipality.code,
            "language": translation.get_language(),
        },
        "fields": [
            {
                "name": f.name,
                "meaning": str(f.meaning),
                "unit": str(f.unit),
                "source": str(f.source),
            }
            for f in dataset.fields
        ],
        "rows": [{name: plain(row.get(name)) for name in dataset.field_names} for row in rows],
    }
    if dataset.document is not None:
        document.update(dataset.document(plan))
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# A download reads a whole plan or register and writes nothing: the replica
# may serve it, a moment behind the primary.
@reporting()
def render(dataset: Dataset, plan: Plan, fmt: str) -> bytes:
    rows = dataset.rows(plan)
    if fmt == "csv":
        return write_csv(dataset, rows)
    if fmt == "xlsx":
        return write_xlsx(dataset, rows)
    if fmt == "json":
        return write_json(dataset, rows, plan)
    raise ValueError(f"unknown format {fmt!r}")
