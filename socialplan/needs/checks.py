"""Where the text states a needs figure that its own tables contradict."""

from dataclasses import dataclass

from .models import NeedFigure


@dataclass
class Restatement:
    text: NeedFigure
    table: NeedFigure


def _key(figure: NeedFigure):
    return (
        figure.category_id,
        figure.measure,
        figure.unit_of_count,
        figure.area,
        figure.year,
        figure.sex,
        figure.age_group,
        tuple(sorted(figure.dimensions.items())),
    )


def text_against_tables(figures: list[NeedFigure]) -> list[Restatement]:
    """Text figures whose exact counterpart in a table (same category, measure, area,
    year and breakdown) holds another value."""
    tables: dict[tuple, list[NeedFigure]] = {}
    for figure in figures:
        if figure.table and figure.category_id:
            tables.setdefault(_key(figure), []).append(figure)
    found = []
    for figure in figures:
        if figure.table or not figure.category_id:
            continue
        for counterpart in tables.get(_key(figure), []):
            if counterpart.value != figure.value:
                found.append(Restatement(figure, counterpart))
                break
    return found
