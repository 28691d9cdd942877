"""Coverage and gaps on a small synthetic municipality: computed, not drawn."""

from socialplan.directory.coverage import compute_coverage
from socialplan.directory.models import Category, Organisation, Service
from socialplan.directory.tests.conftest import make_service


def _gap(coverage, code):
    return next(g for g in coverage.category_gaps if g.category.code == code)


def test_matrices_count_services_per_unit(town):
    coverage = compute_coverage(town)
    units = {u.code: u for u in coverage.units}
    elderly = Category.objects.get(code="elderly")
    assert coverage.unit_category_count(units["veri"], elderly) == 2
    assert coverage.unit_category_count(units["kodra"], elderly) == 1
    assert coverage.unit_type_count(units["veri"], "emergency") == 1
    assert coverage.unit_type_count(units["kodra"], "day") == 0


def test_gaps(town):
    coverage = compute_coverage(town)
    missing = {c.code for c in coverage.categories_without_service}
    assert "lgbtiq" in missing and "elderly" not in missing and "domestic_violence" not in missing
    assert [u.code for u in coverage.units_with_only_light_services] == ["kodra"]
    assert coverage.unit_status(next(u for u in coverage.units if u.code == "veri")) == "partial"


def test_need_against_supply(town):
    gap = _gap(compute_coverage(town), "elderly")
    assert (gap.need.value, gap.served.value, gap.ratio) == (200, 50, 0.25)
    assert gap.unserved == 150
    assert gap.beneficiaries == 40
    by_area = {(n.area, n.category.code): n for n in compute_coverage(town).unit_needs}
    hill = by_area[("kodra", "elderly")]
    assert (hill.need.value, hill.services, hill.people_per_service) == (30, 1, 30)


def test_adding_a_service_changes_the_gap(town):
    hill = town.units.get(code="kodra")
    make_service(
        Organisation.objects.get(code="shoqata"), "ditore-kodra", "day", ["lgbtiq"], [hill]
    )
    coverage = compute_coverage(town)
    assert "lgbtiq" not in {c.code for c in coverage.categories_without_service}
    assert coverage.units_with_only_light_services == []


def test_closed_services_do_not_count(town):
    Service.objects.filter(code="strehezi").update(status="closed")
    coverage = compute_coverage(town)
    assert "domestic_violence" in {c.code for c in coverage.categories_without_service}


def test_coverage_runs_a_constant_number_of_queries(town, django_assert_max_num_queries):
    org = Organisation.objects.get(code="qendra")
    for i in range(15):
        make_service(org, f"extra-{i}", "community", ["elderly"], list(town.units.all()))
    with django_assert_max_num_queries(6):
        compute_coverage(town)
