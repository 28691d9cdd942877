"""Load a needs figures file (docs/needs-format.md)."""

from decimal import Decimal
from pathlib import Path
from typing import Literal

from django.db import transaction
from pydantic import Field

from socialplan.datafile import DataFileError, Strict, read_yaml, replace_rows_if_changed, validate
from socialplan.directory.categories import ensure_categories
from socialplan.directory.loader import CATEGORY_CODES
from socialplan.directory.models import Category
from socialplan.territory.models import Municipality

from .models import NeedFigure, StatisticsTable


class TableIn(Strict):
    table: str = Field(min_length=1)
    title: str = ""
    line: int | None = None


class FigureIn(Strict):
    table: str = ""
    line: int = Field(ge=1)
    label: str = Field(min_length=1)
    category: CATEGORY_CODES | None = None
    measure: Literal["need", "served", "context"]
    unit: str = Field(min_length=1, max_length=20)
    area: str = "municipality"
    year: int | None = Field(default=None, ge=1990, le=2100)
    period: str | None = None
    sex: Literal["female", "male", ""] = ""
    age_group: str = ""
    dimensions: dict[str, str] = {}
    value: Decimal
    printed: str = Field(min_length=1)
    note: str | None = None


class NeedsFile(Strict):
    format: Literal["psv-needs/1"]
    municipality: str
    source: str = ""
    tables: list[TableIn] = []
    figures: list[FigureIn] = []


def load_needs_file(path: Path | str) -> Municipality:
    path = Path(path)
    parsed: NeedsFile = validate(path, read_yaml(path), NeedsFile)
    municipality = Municipality.objects.filter(code=parsed.municipality).first()
    if municipality is None:
        raise DataFileError(f"{path}: municipality {parsed.municipality!r} is not loaded")
    units = {u.code: u for u in municipality.units.all()}
    for i, figure in enumerate(parsed.figures):
        if figure.area not in units and figure.area not in ("municipality", "urban_area"):
            raise DataFileError(
                f"{path}: entry figures[{i}] (line {figure.line}), field 'area': "
                f"{figure.area!r} is not a unit of {municipality.name}"
            )
    ensure_categories(Category)
    categories = {c.code: c for c in Category.objects.all()}
    tables = [
        StatisticsTable(
            municipality=municipality, position=i, table=t.table, title=t.title, line=t.line
        )
        for i, t in enumerate(parsed.tables)
    ]
    figures = [
        NeedFigure(
            municipality=municipality,
            position=i,
            table=f.table,
            line=f.line,
            label=f.label,
            category=categories[f.category] if f.category else None,
            measure=f.measure,
            unit_of_count=f.unit,
            area=f.area,
            unit=units.get(f.area),
            year=f.year,
            period=f.period or "",
            sex=f.sex,
            age_group=f.age_group,
            dimensions=f.dimensions,
            value=f.value,
            printed=f.printed,
            note=f.note or "",
        )
        for i, f in enumerate(parsed.figures)
    ]
    with transaction.atomic():
        replace_rows_if_changed(municipality.statistics_tables, tables, StatisticsTable)
        replace_rows_if_changed(municipality.need_figures, figures, NeedFigure)
    return municipality
