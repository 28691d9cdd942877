"""Where the document's population figures contradict each other.

Three kinds of check, each listing both figures and where they are printed:
a figure stated twice with different values; a total against the sum of its
parts (age groups, units); a printed percentage change against the one the
figures give.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import Municipality, PopulationChange, PopulationFigure

# A printed percentage has one decimal, and the document sometimes truncates
# instead of rounding (-11.86% printed as -11.8%): only a gap of a tenth of
# a point or more is a contradiction.
PERCENT_TOLERANCE = Decimal("0.1")


@dataclass
class Contradiction:
    kind: str  # "restated", "sum", "change"
    summary: str
    figures: list[PopulationFigure]
    expected: Decimal | int
    stated: Decimal | int
    change: PopulationChange | None = None


def find_contradictions(municipality: Municipality) -> list[Contradiction]:
    figures = list(municipality.population_figures.all())
    changes = list(municipality.population_changes.all())
    found: list[Contradiction] = []

    by_key = defaultdict(list)
    for figure in figures:
        by_key[figure.key].append(figure)

    # 1. The same figure stated with different values.
    for key, group in by_key.items():
        values = {f.value for f in group}
        if len(values) > 1:
            tables = [f for f in group if f.table]
            reference = tables[0] if tables else group[0]
            for other in group:
                if other.value != reference.value:
                    found.append(
                        Contradiction(
                            "restated",
                            _describe(key),
                            [reference, other],
                            reference.value,
                            other.value,
                        )
                    )

    # 2. A total against its age groups, and the municipality against its areas,
    #    using table figures as the parts.
    def table_value(key):
        return next((f.value for f in by_key.get(key, []) if f.table), None)

    for key, group in by_key.items():
        area, measure, source, year, age_group = key
        if age_group or area != "municipality":
            continue
        age_parts = [
            f for f in figures
            if f.table and (f.area, f.measure, f.source, f.year) == (area, measure, source, year)
            and f.age_group
        ]  # fmt: skip
        area_parts = [
            f for f in figures
            if f.table and f.area != "municipality" and not f.age_group
            and (f.measure, f.source, f.year) == (measure, source, year)
        ]  # fmt: skip
        # Parts are summed table by table: two tables may repeat the same rows.
        part_sets = []
        for parts, label in ((age_parts, "age groups"), (area_parts, "areas")):
            for table in sorted({p.table for p in parts}):
                part_sets.append(([p for p in parts if p.table == table], f"{label} in {table}"))
        for parts, label in part_sets:
            total = sum(p.value for p in parts)
            for figure in group:
                if figure.value != total:
                    found.append(
                        Contradiction(
                            "sum",
                            f"{_describe(key)}: sum of {label}",
                            [figure, *parts],
                            total,
                            figure.value,
                        )
                    )

    # 3. Printed percentage changes against the figures.
    for change in changes:
        start = table_value(
            (change.area, change.measure, change.from_source, change.from_year, change.age_group)
        )
        end = table_value(
            (change.area, change.measure, change.to_source, change.to_year, change.age_group)
        )
        if not start or end is None:
            continue
        exact = Decimal(end - start) * 100 / Decimal(start)
        computed = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if abs(exact - change.percent) >= PERCENT_TOLERANCE:
            found.append(
                Contradiction(
                    "change",
                    f"{change.area}, {change.measure} {change.age_group}, "
                    f"{change.from_source} {change.from_year} → "
                    f"{change.to_source} {change.to_year}",
                    [],
                    computed,
                    change.percent,
                    change=change,
                )
            )
    return found


def _describe(key) -> str:
    area, measure, source, year, age_group = key
    age = f" {age_group}" if age_group else ""
    return f"{area}, {measure}{age}, {source} {year}"
