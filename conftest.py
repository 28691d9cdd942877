"""Shared fixtures: the Durrës plan and territory, and named personas."""

import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PLAN_FILE = DATA / "plans" / "durres-2025-2028.yaml"
TERRITORY_FILE = DATA / "territory" / "durres.yaml"

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic in tests: serve static files from the source folders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Load the plan once per test database; tests run in transactions on top.
    from socialplan.plan.loader import load_plan_file
    from socialplan.territory.loader import load_territory_file

    with django_db_blocker.unblock():
        load_territory_file(TERRITORY_FILE)
        load_plan_file(PLAN_FILE)


@pytest.fixture
def durres_plan(db):
    """The Durrës plan, loaded (again, if a transactional test flushed it)."""
    from socialplan.plan.loader import load_plan_file
    from socialplan.territory.loader import load_territory_file

    load_territory_file(TERRITORY_FILE)
    return load_plan_file(PLAN_FILE).plan


@pytest.fixture
def director(db):
    """Arta, the director of social services (a synthetic person)."""
    from django.contrib.auth import get_user_model

    from socialplan.accounts.roles import ensure_role

    user = get_user_model().objects.create_user(
        "arta.director", password="not-a-real-password", is_staff=True
    )
    user.groups.add(ensure_role("director"))
    return user


@pytest.fixture
def citizen_client(client):
    """A member of the public: no login."""
    return client


@pytest.fixture
def english_client(client):
    """A visitor who chose English with the switch in the header."""
    client.cookies["django_language"] = "en"
    return client
