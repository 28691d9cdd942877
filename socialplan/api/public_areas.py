"""Public areas: municipalities and their units, population, needs figures, consultations.

The same data the public pages show, and with the same rule for consultations:
to anyone, a group of fewer than 5 people or a group named after a special
category shows no number, and then neither does the total (consultation_report).
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema

from socialplan.monitoring.consultation_report import consultations_with_participants
from socialplan.monitoring.models import Consultation, Recommendation
from socialplan.needs.models import NeedFigure
from socialplan.plan.models import Plan
from socialplan.territory.models import AdministrativeUnit, Municipality, PopulationFigure

from .plans import SLUG
from .schemas import Code, ErrorOut, InvalidOut, PageParams, choice, page, text

municipalities_router = Router(tags=["municipalities"])
consultations_router = Router(tags=["consultations"])
NOT_FOUND = {404: ErrorOut, 422: InvalidOut}
MUNICIPALITY = r"^[-a-zA-Z0-9_]+$"


def _code():
    return Path(..., max_length=40, pattern=MUNICIPALITY)


class AreaUnitOut(Schema):
    code: str
    name: str
    kind: choice(AdministrativeUnit.Kind)


class MunicipalityOut(Schema):
    code: str
    name: str
    urban_area_name: str
    units: list[AreaUnitOut]


class PopulationFigureOut(Schema):
    area: str = Field(description="'municipality', 'urban_area' or a unit's code.")
    unit: str | None = Field(description="The unit's code, when the area is one unit.")
    measure: choice(PopulationFigure.Measure)
    source: str
    year: int
    age_group: str
    value: int
    printed: str
    table: str = Field(description="The table it comes from; empty when the text printed it.")
    line: int


class PopulationOut(Schema):
    municipality: str
    figures: list[PopulationFigureOut]


class NeedFigureOut(Schema):
    id: int
    table: str
    table_title: str | None
    line: int
    label: str
    category: str | None = Field(description="The category's code.")
    measure: choice(NeedFigure.Measure)
    unit_of_count: str
    area: str
    unit: str | None
    year: int | None
    period: str
    sex: str
    age_group: str
    dimensions: dict[str, Any]
    value: Decimal
    printed: str
    note: str


class NeedFigurePage(Schema):
    count: int
    items: list[NeedFigureOut]


class NeedFilters(PageParams):
    category: Code | None = Field(None, description="Only the figures of this category (code).")
    table: text(20) | None = Field(None, description="Only the rows of this table.")
    year: int | None = Field(None, ge=1900, le=2100, description="Only the figures of this year.")


class ParticipantOut(Schema):
    group: str
    count: int | None = Field(description="None when hidden from the public.")
    shown: str = Field(description="As the public page prints it ('<5' or '—' when hidden).")
    category: str | None = Field(description="The category in need the group is named after.")
    hidden: bool


class RecommendationOut(Schema):
    id: int
    text: str
    decision: choice(Recommendation.Decision)
    justification: str
    activity: int | None = Field(description="The id of the plan activity it changed.")
    activity_code: str | None


class ConsultationOut(Schema):
    id: int
    date: datetime.date
    kind: choice(Consultation.Kind)
    unit: AreaUnitOut | None
    participants: list[ParticipantOut]
    total: int | None = Field(description="None when a group is hidden (it could be recomputed).")
    notes: str
    recommendations: list[RecommendationOut]


class ConsultationPage(Schema):
    count: int
    items: list[ConsultationOut]


@municipalities_router.get("", response=list[MunicipalityOut], summary="Municipalities")
def list_municipalities(request):
    return [
        {
            "code": m.code,
            "name": m.name,
            "urban_area_name": m.urban_area_name,
            "units": list(m.units.all()),
        }
        for m in Municipality.objects.prefetch_related("units")
    ]


@municipalities_router.get(
    "/{code}/population",
    response={200: PopulationOut, **NOT_FOUND},
    summary="Population figures as printed",
)
def get_population(request, code: str = _code()):
    municipality = get_object_or_404(Municipality, code=code)
    figures = municipality.population_figures.select_related("unit").order_by("position", "pk")
    return {
        "municipality": municipality.code,
        "figures": [
            {
                "area": f.area,
                "unit": f.unit.code if f.unit_id else None,
                "measure": f.measure,
                "source": f.source,
                "year": f.year,
                "age_group": f.age_group,
                "value": f.value,
                "printed": f.printed,
                "table": f.table,
                "line": f.line,
            }
            for f in figures
        ],
    }


@municipalities_router.get(
    "/{code}/needs",
    response={200: NeedFigurePage, **NOT_FOUND},
    summary="Figures of people in need",
    description="As the diagnosis and the statistics annex print them; filter by category, "
    "table or year.",
)
def list_need_figures(request, filters: Query[NeedFilters], code: str = _code()):
    municipality = get_object_or_404(Municipality, code=code)
    figures = municipality.need_figures.select_related("category", "unit")
    if filters.category is not None:
        figures = figures.filter(category__code=filters.category)
    if filters.table is not None:
        figures = figures.filter(table=filters.table)
    if filters.year is not None:
        figures = figures.filter(year=filters.year)
    count, rows = page(figures.order_by("position", "pk"), filters)
    titles = dict(
        municipality.statistics_tables.filter(table__in={f.table for f in rows}).values_list(
            "table", "title"
        )
    )
    items = [
        {
            "id": f.pk,
            "table": f.table,
            "table_title": titles.get(f.table),
            "line": f.line,
            "label": f.label,
            "category": f.category.code if f.category_id else None,
            "measure": f.measure,
            "unit_of_count": f.unit_of_count,
            "area": f.area,
            "unit": f.unit.code if f.unit_id else None,
            "year": f.year,
            "period": f.period,
            "sex": f.sex,
            "age_group": f.age_group,
            "dimensions": f.dimensions or {},
            "value": f.value,
            "printed": f.printed,
            "note": f.note,
        }
        for f in rows
    ]
    return {"count": count, "items": items}


@consultations_router.get(
    "/{slug}/consultations",
    response={200: ConsultationPage, **NOT_FOUND},
    summary="Consultations and what became of their recommendations",
    description="As the public page shows them: a group of fewer than 5 people, or named after "
    "a special category, gives no number, and then neither does the total.",
)
def list_consultations(
    request, params: Query[PageParams], slug: str = Path(..., max_length=100, pattern=SLUG)
):
    plan = get_object_or_404(Plan, slug=slug)
    queryset = (
        plan.consultations.select_related("unit")
        .prefetch_related(
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.select_related("activity").order_by("pk"),
            )
        )
        .order_by("-date", "-pk")
    )
    count, rows = page(queryset, params)
    items = []
    for c in consultations_with_participants(rows, public=True):
        people = c.people
        items.append(
            {
                "id": c.pk,
                "date": c.date,
                "kind": c.kind,
                "unit": c.unit,
                "participants": [
                    {
                        "group": row.group,
                        "count": None if row.hidden else row.count,
                        "shown": row.shown,
                        "category": row.category.code if row.category else None,
                        "hidden": row.hidden,
                    }
                    for row in people.rows
                ],
                "total": None if people.total_hidden else people.total,
                "notes": c.notes,
                "recommendations": [
                    {
                        "id": r.pk,
                        "text": r.text,
                        "decision": r.decision,
                        "justification": r.justification,
                        "activity": r.activity_id,
                        "activity_code": r.activity.code if r.activity_id else None,
                    }
                    for r in c.recommendations.all()
                ],
            }
        )
    return {"count": count, "items": items}
