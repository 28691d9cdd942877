from django.shortcuts import get_object_or_404, render

from .checks import find_contradictions
from .models import Municipality


def municipality_detail(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    units = list(municipality.units.all())
    names = {u.code: u.name for u in units}
    names["municipality"] = municipality.name
    names["urban_area"] = municipality.urban_area_name or "urban area"
    figures = list(municipality.population_figures.all())
    for figure in figures:
        figure.area_name = names.get(figure.area, figure.area)
    return render(
        request,
        "territory/municipality.html",
        {
            "municipality": municipality,
            "units": units,
            "figures": figures,
            "contradictions": find_contradictions(municipality),
            "area_names": names,
        },
    )
