"""Load a territory file (docs/territory-format.md): units and population figures."""

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from django.db import transaction
from pydantic import Field, model_validator

from socialplan.datafile import Strict, read_yaml, replace_rows_if_changed, validate

from .models import AdministrativeUnit, Municipality, PopulationChange, PopulationFigure, Source

SOURCES = Literal[tuple(Source.values)]  # type: ignore[valid-type]
MEASURES = Literal[tuple(PopulationFigure.Measure.values)]  # type: ignore[valid-type]
MAX_YEAR = datetime.date.today().year + 1


class MunicipalityIn(Strict):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1)
    urban_area_name: str = ""


class UnitIn(Strict):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1)
    kind: Literal["urban", "rural"]
    number: int | None = None
    aliases: list[str] = []


class FigureIn(Strict):
    table: str = ""
    line: int = Field(ge=1)
    area: str
    measure: MEASURES
    source: SOURCES
    year: int = Field(ge=1900, le=MAX_YEAR)
    age_group: str = ""
    printed: str = Field(min_length=1)
    value: int = Field(ge=0)


class SourceYear(Strict):
    source: SOURCES
    year: int = Field(ge=1900, le=MAX_YEAR)


class ChangeIn(Strict):
    table: str = ""
    line: int = Field(ge=1)
    area: str
    measure: MEASURES
    age_group: str = ""
    from_: SourceYear = Field(alias="from")
    to: SourceYear
    printed: str = Field(min_length=1)
    percent: Decimal
    note: str = ""


class TerritoryFile(Strict):
    format: Literal["psv-territory/1"]
    municipality: MunicipalityIn
    source: str = ""
    units: list[UnitIn] = Field(min_length=1)
    population: list[FigureIn] = []
    changes: list[ChangeIn] = []

    @model_validator(mode="after")
    def areas_known(self):
        codes = [u.code for u in self.units]
        if len(codes) != len(set(codes)):
            raise ValueError(f"unit codes repeat: {codes}")
        known = {"municipality", "urban_area", *codes}
        for kind, rows in (("population", self.population), ("changes", self.changes)):
            for i, row in enumerate(rows):
                if row.area not in known:
                    raise ValueError(
                        f"{kind}[{i}] names area {row.area!r}; expected municipality, "
                        f"urban_area or one of the unit codes"
                    )
        return self


def load_territory_file(path: Path | str) -> Municipality:
    path = Path(path)
    parsed: TerritoryFile = validate(path, read_yaml(path), TerritoryFile)
    with transaction.atomic():
        municipality, _ = Municipality.objects.update_or_create(
            code=parsed.municipality.code,
            defaults={
                "name": parsed.municipality.name,
                "urban_area_name": parsed.municipality.urban_area_name,
            },
        )
        units = {}
        for i, unit in enumerate(parsed.units):
            units[unit.code], _ = AdministrativeUnit.objects.update_or_create(
                municipality=municipality,
                code=unit.code,
                defaults={
                    "name": unit.name,
                    "kind": unit.kind,
                    "number": unit.number,
                    "aliases": unit.aliases,
                    "position": i,
                },
            )
        AdministrativeUnit.objects.filter(municipality=municipality).exclude(
            code__in=list(units)
        ).delete()
        # Figures have no identity of their own beyond their place in the
        # file: replace them, but only when the file says something new.
        figures = [
            PopulationFigure(
                municipality=municipality,
                position=i,
                unit=units.get(f.area),
                **f.model_dump(),
            )
            for i, f in enumerate(parsed.population)
        ]
        changes = [
            PopulationChange(
                municipality=municipality,
                position=i,
                area=c.area,
                measure=c.measure,
                age_group=c.age_group,
                from_source=c.from_.source,
                from_year=c.from_.year,
                to_source=c.to.source,
                to_year=c.to.year,
                percent=c.percent,
                printed=c.printed,
                table=c.table,
                line=c.line,
                note=c.note,
            )
            for i, c in enumerate(parsed.changes)
        ]
        replace_rows_if_changed(municipality.population_figures, figures, PopulationFigure)
        replace_rows_if_changed(municipality.population_changes, changes, PopulationChange)
    return municipality
