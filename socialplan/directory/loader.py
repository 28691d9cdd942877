"""Load a directory file (docs/directory-format.md): organisations and services.

All or nothing, idempotent: rows are matched by code and updated in place.
Organisations and services the file no longer lists are left alone (staff
may have added them through the pages); the loader only says so.
"""

from decimal import Decimal
from pathlib import Path
from typing import Literal

from django.db import transaction
from pydantic import Field, model_validator

from socialplan.datafile import DataFileError, Strict, read_yaml, replace_rows_if_changed, validate
from socialplan.territory.models import AdministrativeUnit, Municipality

from .categories import CATEGORIES, ensure_categories
from .models import (
    Category,
    CategoryDiagnosis,
    DeclaredCount,
    Funding,
    Organisation,
    Service,
    ServiceType,
    UnitCoverage,
)

CATEGORY_CODES = Literal[tuple(code for code, *_ in CATEGORIES)]  # type: ignore[valid-type]
TYPES = Literal[tuple(ServiceType.values)]  # type: ignore[valid-type]
FUNDING = Literal[tuple(Funding.values)]  # type: ignore[valid-type]
SLUG = r"^[a-z0-9-]+$"


class DeclaredCountIn(Strict):
    key: str
    type: TYPES | None = None
    column: str | None = None
    value: int
    printed: str = ""
    line: int | None = None


class OrganisationIn(Strict):
    code: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    aliases: list[str] = []
    kind: Literal["public", "non_public", "mixed"]
    funding: FUNDING
    units: list[str] = []
    description: str | None = None
    line: int | None = None
    notes: str | None = None


class AgeIn(Strict):
    min: int | None = Field(default=None, ge=0, le=120)
    max: int | None = Field(default=None, ge=0, le=120)
    printed: str = ""


class CapacityIn(Strict):
    value: int = Field(ge=0)
    per: Literal["day", "year", "at_once"]
    printed: str = ""
    line: int | None = None


class BeneficiariesIn(Strict):
    value: int | None = Field(default=None, ge=0)
    year: int | None = None
    women_percent: Decimal | None = Field(default=None, ge=0, le=100)
    roma_percent: Decimal | None = Field(default=None, ge=0, le=100)
    printed: str = ""
    line: int | None = None


class ServiceIn(Strict):
    code: str = Field(pattern=SLUG)
    organisation: str
    name: str = Field(min_length=1)
    type: TYPES
    description: str | None = None
    categories: list[CATEGORY_CODES] = []
    age: AgeIn | None = None
    units: list[str] = []
    capacity: CapacityIn | None = None
    beneficiaries: BeneficiariesIn | None = None
    funding: FUNDING = "unknown"
    status: Literal["active", "planned", "closed"] = "active"
    address: str | None = None
    confidential: bool = False
    public_contact: str | None = None
    how_to_apply: str | None = None
    hours: str | None = None
    line: int | None = None
    notes: str | None = None


class CategoryDiagnosisIn(Strict):
    category: CATEGORY_CODES | None = None
    label: str
    services_printed: str | None = None
    providers_printed: str | None = None  # null where the document names no provider
    problems: str | None = None
    suggestions: str | None = None
    line: int | None = None


class UnitCoverageIn(Strict):
    area: str
    label: str
    services_offered: str = ""
    coverage: str = ""
    suggestion: str = ""
    line: int | None = None


class DirectoryFile(Strict):
    format: Literal["psv-directory/1"]
    municipality: str
    source: str = ""
    declared_counts: list[DeclaredCountIn] = []
    organisations: list[OrganisationIn] = []
    services: list[ServiceIn] = []
    category_diagnosis: list[CategoryDiagnosisIn] = []
    unit_coverage_declared: list[UnitCoverageIn] = []

    @model_validator(mode="after")
    def references_resolve(self):
        codes = [o.code for o in self.organisations]
        if len(codes) != len(set(codes)):
            raise ValueError("organisation codes repeat")
        service_codes = [s.code for s in self.services]
        if len(service_codes) != len(set(service_codes)):
            raise ValueError("service codes repeat")
        for i, service in enumerate(self.services):
            if service.organisation not in codes:
                raise ValueError(
                    f"services[{i}] ({service.code}) names organisation "
                    f"{service.organisation!r}, which the file does not list"
                )
        return self


def resolve_units(
    municipality: Municipality, areas: list[str], where: str
) -> list[AdministrativeUnit]:
    """Unit codes, "urban_area" (every urban unit) or "all" (every unit)."""
    units = {u.code: u for u in municipality.units.all()}
    chosen: dict[str, AdministrativeUnit] = {}
    for area in areas:
        if area == "all":
            chosen.update(units)
        elif area == "urban_area":
            chosen.update(
                {c: u for c, u in units.items() if u.kind == AdministrativeUnit.Kind.URBAN}
            )
        elif area in units:
            chosen[area] = units[area]
        else:
            raise DataFileError(
                f"{where}: unit {area!r} is not a unit of {municipality.name} "
                f"(expected one of {', '.join(units)}, urban_area or all)"
            )
    return list(chosen.values())


def load_directory_file(path: Path | str) -> Municipality:
    path = Path(path)
    parsed: DirectoryFile = validate(path, read_yaml(path), DirectoryFile)
    municipality = Municipality.objects.filter(code=parsed.municipality).first()
    if municipality is None:
        raise DataFileError(
            f"{path}: municipality {parsed.municipality!r} is not loaded; load its territory first"
        )
    # Resolve every unit before writing anything.
    org_units = {
        o.code: resolve_units(municipality, o.units, f"{path}: organisation {o.code}")
        for o in parsed.organisations
    }
    service_units = {
        s.code: resolve_units(municipality, s.units, f"{path}: service {s.code}")
        for s in parsed.services
    }
    # The national list is created by a migration; make sure it is whole.
    ensure_categories(Category)
    categories = {c.code: c for c in Category.objects.all()}
    with transaction.atomic():
        organisations = {}
        for o in parsed.organisations:
            org, _ = Organisation.objects.update_or_create(
                municipality=municipality,
                code=o.code,
                defaults={
                    "name": o.name,
                    "aliases": o.aliases,
                    "kind": o.kind,
                    "funding": o.funding,
                    "description": o.description or "",
                    "line": o.line,
                    "notes": o.notes or "",
                },
            )
            org.units.set(org_units[o.code])
            organisations[o.code] = org
        for s in parsed.services:
            age = s.age or AgeIn()
            capacity = s.capacity
            beneficiaries = s.beneficiaries or BeneficiariesIn()
            service, _ = Service.objects.update_or_create(
                municipality=municipality,
                code=s.code,
                defaults={
                    "organisation": organisations[s.organisation],
                    "name": s.name,
                    "type": s.type,
                    "description": s.description or "",
                    "age_min": age.min,
                    "age_max": age.max,
                    "age_printed": age.printed,
                    "capacity": capacity.value if capacity else None,
                    "capacity_per": capacity.per if capacity else "",
                    "capacity_printed": capacity.printed if capacity else "",
                    "capacity_line": capacity.line if capacity else None,
                    "beneficiaries": beneficiaries.value,
                    "beneficiaries_year": beneficiaries.year,
                    "women_percent": beneficiaries.women_percent,
                    "roma_percent": beneficiaries.roma_percent,
                    "beneficiaries_printed": beneficiaries.printed,
                    "beneficiaries_line": beneficiaries.line,
                    "funding": s.funding,
                    "status": s.status,
                    "address": s.address or "",
                    "confidential": s.confidential,
                    "public_contact": s.public_contact or "",
                    "how_to_apply": s.how_to_apply or "",
                    "hours": s.hours or "",
                    "line": s.line,
                    "notes": s.notes or "",
                },
            )
            service.units.set(service_units[s.code])
            service.categories.set([categories[c] for c in s.categories])
        _store_facts(municipality, parsed, categories)
    return municipality


def _store_facts(municipality: Municipality, parsed: DirectoryFile, categories: dict) -> None:
    """What the document says of the directory as a whole: counts, Figures 10 and 13."""
    counts = [
        DeclaredCount(
            municipality=municipality,
            position=i,
            key=c.key,
            service_type=c.type or "",
            column=c.column or "",
            value=c.value,
            printed=c.printed,
            line=c.line,
        )
        for i, c in enumerate(parsed.declared_counts)
    ]
    diagnosis = [
        CategoryDiagnosis(
            municipality=municipality,
            position=i,
            category=categories.get(d.category) if d.category else None,
            label=d.label,
            services_printed=d.services_printed or "",
            providers_printed=d.providers_printed or "",
            problems=d.problems or "",
            suggestions=d.suggestions or "",
            line=d.line,
        )
        for i, d in enumerate(parsed.category_diagnosis)
    ]
    coverage = [
        UnitCoverage(
            municipality=municipality,
            position=i,
            area=u.area,
            label=u.label,
            services_offered=u.services_offered,
            coverage=u.coverage,
            suggestion=u.suggestion,
            line=u.line,
        )
        for i, u in enumerate(parsed.unit_coverage_declared)
    ]
    replace_rows_if_changed(municipality.declared_counts, counts, DeclaredCount)
    replace_rows_if_changed(municipality.category_diagnoses, diagnosis, CategoryDiagnosis)
    replace_rows_if_changed(municipality.unit_coverages, coverage, UnitCoverage)
