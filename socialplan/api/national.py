"""The national roll-up as JSON: public, protected like the public page, from the tallies."""

import datetime

from django.http import Http404
from ninja import Field, Path, Router, Schema

from socialplan.dbrouting import reporting
from socialplan.national.rollup import national_report
from socialplan.national.tallies import years_to_tally

from .schemas import ErrorOut, InvalidOut

router = Router(tags=["national"])


class MunicipalityYearOut(Schema):
    code: str
    name: str
    people: dict[str, int] = Field(
        description="People with a current category, by category code, rounded to a multiple "
        "of rounded_to (the same figure as the municipality's statistics page)."
    )
    activity: dict[str, int | None] = Field(
        description="Cases opened, closed, open; referrals; services delivered; people served "
        "(rounded to a multiple of rounded_to)."
    )
    progress_reports: dict[str, int] = Field(description="Approved reports by status.")
    spent: int = Field(description="Lek spent on the plan's activities (approved reports).")


class NationalOut(Schema):
    year: int
    rounded_to: int = Field(
        description="Counts of people and cases are rounded to a multiple of this (true value "
        "within rounded_to - 1); totals are sums of the rounded counts."
    )
    refreshed_from: datetime.datetime | None
    refreshed_to: datetime.datetime | None
    totals: dict[str, int | None]
    municipalities: list[MunicipalityYearOut]


@router.get(
    "/{year}",
    response={200: NationalOut, 404: ErrorOut, 422: InvalidOut},
    summary="Every municipality's year in figures (counts of people rounded to base 5)",
)
def national_year(request, year: int = Path(..., ge=2000, le=2100)):
    if year not in years_to_tally():
        raise Http404("No tallies for that year.")
    with reporting():
        report = national_report(year, public=True)
    people, activity, progress = report.people, report.activity, report.progress
    codes = report.codes
    rows = []
    for i, key in enumerate(people.row_keys):
        code = codes[key]
        rows.append(
            {
                "code": code,
                "name": people.row_labels[i],
                "people": dict(zip(people.column_keys, people.cells[i], strict=True)),
                "activity": dict(zip(activity.column_keys, activity.cells[i], strict=True)),
                "progress_reports": dict(zip(progress.column_keys, progress.cells[i], strict=True)),
                "spent": report.spent[code],
            }
        )
    return {
        "year": year,
        "rounded_to": people.rounding_base,
        "refreshed_from": report.refreshed_from,
        "refreshed_to": report.refreshed_to,
        "totals": dict(zip(activity.column_keys, activity.column_totals, strict=True)),
        "municipalities": rows,
    }
