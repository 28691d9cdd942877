"""A small synthetic municipality for directory tests (no real place, no real people)."""

import pytest

from socialplan.accounts.models import Membership
from socialplan.directory.models import Category, Organisation, Service
from socialplan.needs.models import NeedFigure
from socialplan.territory.models import AdministrativeUnit, Municipality


def make_service(organisation, code, type, categories, units, **extra):
    service = Service.objects.create(
        municipality=organisation.municipality,
        organisation=organisation,
        code=code,
        name=extra.pop("name", code.replace("-", " ").title()),
        type=type,
        funding=extra.pop("funding", "municipal"),
        **extra,
    )
    service.categories.set(Category.objects.filter(code__in=categories))
    service.units.set(units)
    return service


@pytest.fixture
def town(db):
    """Qyteza: two urban units, one rural; a day centre, an online line, a shelter."""
    town = Municipality.objects.create(code="qyteza", name="Qyteza", urban_area_name="Qyteti")
    north = AdministrativeUnit.objects.create(
        municipality=town, code="veri", name="Veri", kind="urban"
    )
    south = AdministrativeUnit.objects.create(
        municipality=town, code="jug", name="Jug", kind="urban"
    )
    hill = AdministrativeUnit.objects.create(
        municipality=town, code="kodra", name="Kodra", kind="rural"
    )
    centre = Organisation.objects.create(
        municipality=town,
        code="qendra",
        name="Qendra Ditore e Qytezës",
        kind="public",
        funding="municipal",
    )
    centre.units.set([north, south])
    ngo = Organisation.objects.create(
        municipality=town,
        code="shoqata",
        name="Shoqata Ndihma",
        kind="non_public",
        funding="ngo_donor",
    )
    ngo.units.set([north, south, hill])
    make_service(centre, "qendra-ditore", "day", ["elderly"], [north, south], beneficiaries=40)
    make_service(ngo, "linja", "online", ["elderly", "children_at_risk"], [north, south, hill])
    make_service(
        ngo,
        "strehezi",
        "emergency",
        ["domestic_violence"],
        [north],
        confidential=True,
        address="Rruga e Fshehtë 7",
        public_contact="Linja e ndihmës 0800 0000",
    )
    elderly = Category.objects.get(code="elderly")
    figure = {"municipality": town, "category": elderly, "unit_of_count": "persons", "year": 2024}
    NeedFigure.objects.create(
        **figure,
        line=1,
        label="Total",
        measure="need",
        area="municipality",
        value=200,
        printed="200",
    )
    NeedFigure.objects.create(
        **figure,
        line=2,
        label="Total",
        measure="served",
        area="municipality",
        value=50,
        printed="50",
    )
    NeedFigure.objects.create(
        **figure,
        line=3,
        label="Kodra",
        measure="need",
        area="kodra",
        unit=hill,
        value=30,
        printed="30",
    )
    return town


@pytest.fixture
def provider_worker(town, django_user_model):
    """Drita works for Shoqata Ndihma (a synthetic person)."""
    user = django_user_model.objects.create_user("drita.provider", password="x-not-real")
    Membership.objects.create(
        user=user,
        municipality=town,
        role="provider",
        organisation=Organisation.objects.get(code="shoqata"),
    )
    return user


@pytest.fixture
def town_director(town, django_user_model):
    user = django_user_model.objects.create_user("ilir.director", password="x-not-real")
    Membership.objects.create(user=user, municipality=town, role="director")
    return user
