from itertools import groupby

from django.shortcuts import get_object_or_404, render

from socialplan.territory.models import Municipality

from .checks import text_against_tables


def needs_figures(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    figures = list(municipality.need_figures.select_related("category"))
    titles = {t.table: t for t in municipality.statistics_tables.all()}
    groups = [
        (table, titles.get(table), list(rows))
        for table, rows in groupby(
            sorted(figures, key=lambda f: (f.table == "", f.position)), key=lambda f: f.table
        )
    ]
    return render(
        request,
        "needs/figures.html",
        {
            "municipality": municipality,
            "groups": groups,
            "restatements": text_against_tables(figures),
        },
    )
