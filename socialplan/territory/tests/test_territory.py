"""The territory of Durrës and the contradictions in its population figures."""

import pytest
from django.urls import reverse

from conftest import TERRITORY_FILE
from socialplan.datafile import DataFileError
from socialplan.territory.checks import find_contradictions
from socialplan.territory.loader import load_territory_file
from socialplan.territory.models import AdministrativeUnit, Municipality, PopulationFigure


def test_eleven_units_six_urban(durres_plan):
    units = AdministrativeUnit.objects.filter(municipality__code="durres")
    assert units.count() == 11
    assert units.filter(kind="urban").count() == 6
    rural = set(units.filter(kind="rural").values_list("name", flat=True))
    assert rural == {"Sukth", "Manëz", "Rrashbull", "Ishëm", "Katund i Ri"}
    assert "Manza" in units.get(code="manez").aliases


def test_figures_keep_source_year_age_group(durres_plan):
    durres = Municipality.objects.get(code="durres")
    figure = PopulationFigure.objects.get(
        municipality=durres, table="Tab 2", area="manez", year=2024
    )
    assert (figure.value, figure.source, figure.printed, figure.line) == (
        15035,
        "civil_register",
        "15,035",
        4868,
    )
    census = PopulationFigure.objects.filter(municipality=durres, source="census", table="Tab 3")
    assert sorted(set(census.values_list("year", flat=True))) == [2011, 2023]
    assert set(census.values_list("age_group", flat=True)) == {"0-14", "15-64", "65+"}


def test_contradictions_between_text_and_tables(durres_plan):
    found = find_contradictions(Municipality.objects.get(code="durres"))
    stated = {(c.kind, int(c.stated)) for c in found if c.kind != "change"}
    # The text gives 241,753 for census 2023 where the tables add to 153,614.
    assert ("restated", 241_753) in stated
    assert ("sum", 241_753) in stated
    # And 29,781 people over 65 where table 3 prints 29,062.
    assert ("restated", 29_781) in stated
    # "65+ grew by 9.3%" while table 3 gives +46.4%.
    change = next(c for c in found if c.kind == "change")
    assert (change.change.line, str(change.expected)) == (159, "46.4")
    # Rounding differences (4.54% printed 4.6%) are not contradictions.
    assert len([c for c in found if c.kind == "change"]) == 1


def test_reloading_is_idempotent(durres_plan):
    ids = list(PopulationFigure.objects.values_list("pk", flat=True))
    load_territory_file(TERRITORY_FILE)
    assert list(PopulationFigure.objects.values_list("pk", flat=True)) == ids


def test_unknown_area_is_refused(db, tmp_path):
    text = TERRITORY_FILE.read_text(encoding="utf-8").replace("area: manez", "area: atlantis", 1)
    text = text.replace("code: durres\n", "code: durres-copy\n", 1)
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="atlantis"):
        load_territory_file(path)
    assert not Municipality.objects.filter(code="durres-copy").exists()


def test_page_shows_contradictions(english_client, durres_plan):
    response = english_client.get(reverse("territory:municipality", args=["durres"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "241,753" in body and "153 614" in body.replace("\u202f", " ")
    assert english_client.get("/territory/nowhere/").status_code == 404
