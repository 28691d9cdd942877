"""The needs figures of Durrës: loaded as printed, checked against each other."""

import pytest
from django.urls import reverse

from conftest import NEEDS_FILE
from socialplan.datafile import DataFileError
from socialplan.needs.checks import text_against_tables
from socialplan.needs.loader import load_needs_file
from socialplan.needs.models import NeedFigure, StatisticsTable
from socialplan.territory.models import Municipality


def _durres():
    return Municipality.objects.get(code="durres")


def test_tables_5_to_24_are_loaded_with_sources(durres_plan):
    tables = set(
        StatisticsTable.objects.filter(municipality=_durres()).values_list("table", flat=True)
    )
    assert {f"Tab {n}" for n in range(5, 25)} <= tables
    children = NeedFigure.objects.get(
        municipality=_durres(), table="Tab 19", label="Total A", measure="need"
    )
    assert (children.value, children.category.code, children.year) == (
        1288,
        "children_at_risk",
        2024,
    )
    elderly_units = NeedFigure.objects.filter(
        municipality=_durres(), table="Tab 20", category__code="elderly", unit__isnull=False
    )
    assert elderly_units.exists()


def test_text_figures_that_contradict_tables(durres_plan):
    found = text_against_tables(list(_durres().need_figures.all()))
    pairs = {(int(r.text.value), int(r.table.value)) for r in found}
    assert (68, 78) in pairs  # orphans: 68 in the text, 78 in table 19


def test_reload_writes_nothing(durres_plan):
    ids = list(NeedFigure.objects.values_list("pk", flat=True))
    load_needs_file(NEEDS_FILE)
    assert list(NeedFigure.objects.values_list("pk", flat=True)) == ids


def test_a_wrong_area_is_refused_and_nothing_changes(durres_plan, tmp_path):
    before = NeedFigure.objects.count()
    text = NEEDS_FILE.read_text(encoding="utf-8").replace("area: sukth", "area: atlantis", 1)
    path = tmp_path / "needs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="atlantis"):
        load_needs_file(path)
    assert NeedFigure.objects.count() == before


def test_page(client, durres_plan):
    response = client.get(reverse("needs:figures", args=["durres"]))
    assert response.status_code == 200
    assert "Tab 19" in response.content.decode()
