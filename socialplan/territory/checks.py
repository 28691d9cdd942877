"""Where the document's population figures contradict each other.

Three kinds of check, each listing both figures and where they are printed:
a figure stated twice with different values; a total against the sum of its
parts (age groups, units); a printed percentage change against the one the
figures give.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .models import Municipality, PopulationChange, PopulationFigure, Source

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
    areas = {u.code: u.name for u in municipality.units.all()}
    areas["municipality"] = municipality.name
    areas["urban_area"] = municipality.urban_area_name or _("urban area")

    def _describe(key) -> str:
        area, measure, source, year, age_group = key
        age = f" {age_group}" if age_group else ""
        measure_label = PopulationFigure.Measure(measure).label
        return f"{areas.get(area, area)}, {measure_label}{age}, {Source(source).label} {year}"

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
        for parts, label in ((age_parts, _("age groups")), (area_parts, _("areas"))):
            for table in sorted({p.table for p in parts}):
                in_table = [p for p in parts if p.table == table]
                part_sets.append(
                    (
                        in_table,
                        _("sum of %(parts)s in %(table)s") % {"parts": label, "table": table},
                    )
                )
        for parts, label in part_sets:
            total = sum(p.value for p in parts)
            for figure in group:
                if figure.value != total:
                    found.append(
                        Contradiction(
                            "sum",
                            f"{_describe(key)}: {label}",
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
                    _("%(area)s, change %(age)s from %(start)s to %(end)s")
                    % {
                        "area": areas.get(change.area, change.area),
                        "age": change.age_group,
                        "start": f"{Source(change.from_source).label} {change.from_year}",
                        "end": f"{Source(change.to_source).label} {change.to_year}",
                    },
                    [],
                    computed,
                    change.percent,
                    change=change,
                )
            )
    return found
