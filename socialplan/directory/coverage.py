"""Coverage and gaps, computed from the directory and the needs figures.

Nothing here knows about Durrës: every figure comes from the municipality's
units, services and needs figures, so adding a service changes the gaps.
Plain data objects, tested without HTTP.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from socialplan import disclosure
from socialplan.needs.models import NeedFigure
from socialplan.territory.models import AdministrativeUnit, Municipality

from .models import Category, Service, ServiceType

# Types that reach people without a place where they are cared for: a unit
# with only these has no structured service of its own.
LIGHT_TYPES = {ServiceType.PRE_SOCIAL, ServiceType.ONLINE}
# Public figures never show a group of fewer people than this.
SMALL_COUNT = disclosure.THRESHOLD


@dataclass
class Headline:
    """The figure chosen to stand for a category's need (or supply), with where it is printed."""

    figure: NeedFigure
    candidates: int

    @property
    def value(self) -> Decimal:
        return self.figure.value


@dataclass
class CategoryGap:
    category: Category
    services: list[Service]
    need: Headline | None
    served: Headline | None
    beneficiaries: int  # of the services that serve the category (they may serve others too)

    @property
    def comparable(self) -> bool:
        """Need and supply count the same thing (persons, families...) in the same year."""
        if self.need is None or self.served is None or not self.need.value:
            return False
        need, served = self.need.figure, self.served.figure
        return need.unit_of_count == served.unit_of_count and need.year == served.year

    @property
    def ratio(self) -> float | None:
        """Share of the people in need who receive services, where the figures are comparable."""
        if not self.comparable:
            return None
        return float(self.served.value / self.need.value)

    @property
    def served_exceeds_need(self) -> bool:
        # Services also reach people nobody registered as in need: the two
        # figures come from different sources, and the page says so.
        return self.ratio is not None and self.ratio > 1

    @property
    def has_small_count(self) -> bool:
        """A count of people under the publication threshold: the public sees none of this row."""
        values = [h.value for h in (self.need, self.served) if h is not None]
        return any(0 < v < SMALL_COUNT for v in values)

    @property
    def unserved(self) -> Decimal | None:
        if not self.comparable:
            return None
        return max(self.need.value - self.served.value, Decimal(0))


@dataclass
class UnitNeed:
    """Need in one area (a unit, or the urban area the tables group) against services there."""

    area: str
    area_name: str
    category: Category
    need: NeedFigure
    services: int

    @property
    def people_per_service(self) -> Decimal | None:
        return self.need.value / self.services if self.services else None


@dataclass
class Coverage:
    municipality: Municipality
    units: list[AdministrativeUnit]
    categories: list[Category]
    types: list[tuple[str, str]]
    services: list[Service]
    by_unit_category: dict[tuple[int, int], list[Service]] = field(default_factory=dict)
    by_unit_type: dict[tuple[int, str], list[Service]] = field(default_factory=dict)
    category_gaps: list[CategoryGap] = field(default_factory=list)
    unit_needs: list[UnitNeed] = field(default_factory=list)

    def unit_category_count(self, unit, category) -> int:
        return len(self.by_unit_category.get((unit.pk, category.pk), []))

    def unit_type_count(self, unit, type_code) -> int:
        return len(self.by_unit_type.get((unit.pk, type_code), []))

    @property
    def categories_without_service(self) -> list[Category]:
        return [g.category for g in self.category_gaps if not g.services]

    def unit_status(self, unit) -> str:
        """none | light (pre-social or online only) | partial | full (a service per category)."""
        types = {t for (u, t), services in self.by_unit_type.items() if u == unit.pk and services}
        if not types:
            return "none"
        if types <= LIGHT_TYPES:
            return "light"
        served = {c.pk for c in self.categories if self.unit_category_count(unit, c)}
        return "full" if len(served) == len(self.categories) else "partial"

    @property
    def units_with_only_light_services(self) -> list[AdministrativeUnit]:
        return [u for u in self.units if self.unit_status(u) in ("light", "none")]

    def matrix_unit_category(self) -> list[tuple[AdministrativeUnit, list[int]]]:
        return [(u, [self.unit_category_count(u, c) for c in self.categories]) for u in self.units]

    def matrix_unit_type(self) -> list[tuple[AdministrativeUnit, list[int]]]:
        return [(u, [self.unit_type_count(u, t) for t, _ in self.types]) for u in self.units]

    def services_by_type(self) -> list[tuple[str, str, int]]:
        counts = defaultdict(int)
        for service in self.services:
            counts[service.type] += 1
        return [(code, label, counts[code]) for code, label in self.types]


def _plain(figure: NeedFigure) -> bool:
    """A figure for the whole group: no split by sex, age or another breakdown."""
    return not figure.sex and not figure.age_group and not figure.dimensions


def _headline(figures: list[NeedFigure]) -> Headline | None:
    """The statistics tables before the text; the latest year; a printed total row
    if there is one, else the largest figure. The page shows which was chosen."""
    if not figures:
        return None
    candidates = [f for f in figures if f.table] or figures
    latest = max((f.year or 0) for f in candidates)
    recent = [f for f in candidates if (f.year or 0) == latest]
    totals = [f for f in recent if f.is_total_row]
    chosen = max(totals or recent, key=lambda f: f.value)
    return Headline(chosen, len(figures))


def compute_coverage(municipality: Municipality) -> Coverage:
    units = list(municipality.units.all())
    categories = list(Category.objects.all())
    services = list(
        Service.objects.filter(municipality=municipality)
        .exclude(status=Service.Status.CLOSED)
        .select_related("organisation")
        .prefetch_related(
            Prefetch("units", queryset=AdministrativeUnit.objects.only("pk")),
            Prefetch("categories", queryset=Category.objects.only("pk")),
        )
    )
    coverage = Coverage(municipality, units, categories, list(ServiceType.choices), services)
    areas = {u.code: [u] for u in units}
    areas["urban_area"] = [u for u in units if u.kind == AdministrativeUnit.Kind.URBAN]
    area_names = {u.code: u.name for u in units}
    area_names["urban_area"] = municipality.urban_area_name or "urban area"
    for service in services:
        unit_ids = [u.pk for u in service.units.all()]
        category_ids = [c.pk for c in service.categories.all()]
        for unit_id in unit_ids:
            coverage.by_unit_type.setdefault((unit_id, service.type), []).append(service)
            for category_id in category_ids:
                coverage.by_unit_category.setdefault((unit_id, category_id), []).append(service)

    figures = [
        f
        for f in NeedFigure.objects.filter(
            municipality=municipality, category__isnull=False
        ).exclude(measure=NeedFigure.Measure.CONTEXT)
        if f.unit_of_count in ("persons", "families", "cases")
    ]
    by_category = defaultdict(list)
    for figure in figures:
        by_category[figure.category_id].append(figure)
    for category in categories:
        own = by_category.get(category.pk, [])
        whole = [f for f in own if f.area == "municipality" and _plain(f)]
        serving = [s for s in services if category.pk in {c.pk for c in s.categories.all()}]
        coverage.category_gaps.append(
            CategoryGap(
                category=category,
                services=serving,
                need=_headline([f for f in whole if f.measure == NeedFigure.Measure.NEED]),
                served=_headline([f for f in whole if f.measure == NeedFigure.Measure.SERVED]),
                beneficiaries=sum(s.beneficiaries or 0 for s in serving),
            )
        )
        # Need by area, against the number of services reaching that area.
        per_area = {}
        for figure in own:
            if figure.area == "municipality" or not _plain(figure):
                continue
            if figure.measure != NeedFigure.Measure.NEED:
                continue
            known = per_area.get(figure.area)
            if known is None or (figure.year or 0) > (known.year or 0):
                per_area[figure.area] = figure
        for area, figure in per_area.items():
            area_units = areas.get(area, [])
            reaching = {
                s.pk
                for unit in area_units
                for s in coverage.by_unit_category.get((unit.pk, category.pk), [])
            }
            coverage.unit_needs.append(
                UnitNeed(area, area_names.get(area, area), category, figure, len(reaching))
            )
    return coverage


@dataclass
class CountCheck:
    key: str
    computed: int
    declared: list  # DeclaredCount rows for the same key

    @property
    def agrees(self) -> bool:
        return all(d.value == self.computed for d in self.declared)


def compare_counts(coverage: Coverage) -> list[CountCheck]:
    """The document's own counts of providers and services against the data."""
    from .models import Funding, Organisation

    municipality = coverage.municipality
    organisations = list(
        Organisation.objects.filter(municipality=municipality).prefetch_related("units")
    )
    urban = {u.pk for u in coverage.units if u.kind == AdministrativeUnit.Kind.URBAN}
    everywhere = {u.pk for u in coverage.units}
    org_units = {o.pk: {u.pk for u in o.units.all()} for o in organisations}
    computed = {
        "providers": len(organisations),
        "providers_municipal": sum(o.funding == Funding.MUNICIPAL for o in organisations),
        "providers_non_public": sum(o.funding == Funding.NGO_DONOR for o in organisations),
        "providers_cofinanced": sum(o.funding == Funding.COFINANCED for o in organisations),
        "providers_city_only": sum(
            bool(org_units[o.pk]) and org_units[o.pk] <= urban for o in organisations
        ),
        "providers_all_units": sum(org_units[o.pk] == everywhere for o in organisations),
        "services": len(coverage.services),
    }
    by_type = {code: n for code, _, n in coverage.services_by_type()}
    declared = list(municipality.declared_counts.all())
    checks = []
    for key, value in computed.items():
        rows = [d for d in declared if d.key == key]
        checks.append(CountCheck(key, value, rows))
    for code, _label in coverage.types:
        rows = [d for d in declared if d.key == "services_type" and d.service_type == code]
        checks.append(CountCheck(f"services_type:{code}", by_type.get(code, 0), rows))
    return checks
