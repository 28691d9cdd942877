"""Personas for the register and cases tests, in Durrës (all synthetic people)."""

import datetime

import pytest

from socialplan.accounts.models import Membership
from socialplan.directory.models import Category, Organisation, Service
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit, Municipality


def _user(django_user_model, username, role, *, unit=None, organisation=None):
    user = django_user_model.objects.create_user(username, password="not-a-real-password")
    Membership.objects.create(
        user=user,
        municipality=Municipality.objects.get(code="durres"),
        role=role,
        unit=unit,
        organisation=organisation,
    )
    return user


@pytest.fixture
def durres(durres_plan):
    return Municipality.objects.get(code="durres")


@pytest.fixture
def sukth(durres):
    return AdministrativeUnit.objects.get(municipality=durres, code="sukth")


@pytest.fixture
def sukth_admin(django_user_model, sukth):
    """Elira, social administrator of Sukth."""
    return _user(django_user_model, "elira.sukth", "unit_admin", unit=sukth)


@pytest.fixture
def ishem_admin(django_user_model, durres):
    """Gent, social administrator of Ishëm."""
    ishem = AdministrativeUnit.objects.get(municipality=durres, code="ishem")
    return _user(django_user_model, "gent.ishem", "unit_admin", unit=ishem)


@pytest.fixture
def njvrn_worker(django_user_model, durres):
    return _user(django_user_model, "besa.njvrn", "njvrn")


@pytest.fixture
def planner(django_user_model, durres):
    return _user(django_user_model, "olti.planner", "planner")


@pytest.fixture
def day_centre(durres):
    """A service of an organisation whose staff have accounts (Kryqi i Kuq)."""
    return Service.objects.filter(organisation__code="kryqi-i-kuq").exclude(status="closed").first()


@pytest.fixture
def provider_worker(django_user_model, day_centre):
    """Drita works for the organisation running the day centre."""
    return _user(
        django_user_model, "drita.ofrues", "provider", organisation=day_centre.organisation
    )


@pytest.fixture
def other_provider(django_user_model, durres):
    return _user(
        django_user_model,
        "arben.ofrues",
        "provider",
        organisation=Organisation.objects.get(municipality=durres, code="gender-paqe-siguri"),
    )


@pytest.fixture
def family_member(durres, sukth, sukth_admin):
    """A synthetic woman in Sukth, on economic aid and a victim of domestic violence."""
    person = Person.objects.create(
        municipality=durres,
        unit=sukth,
        first_name="Mira",
        last_name="Provë",
        sex="F",
        date_of_birth=datetime.date(1988, 4, 12),
        national_id="I88412000X",
        synthetic=True,
        created_by=sukth_admin,
    )
    for code in ("families_in_need", "domestic_violence"):
        PersonCategory.objects.create(
            person=person,
            category=Category.objects.get(code=code),
            start_date=datetime.date(2026, 1, 5),
            source="vetëdeklarim",
            recorded_by=sukth_admin,
        )
    return person


@pytest.fixture
def login(client, verified_login):
    """Log a persona in, past the two-factor step its role requires."""

    def _login(user):
        return verified_login(client, user)

    return _login
