"""Shared fixtures: the Durrës plan and territory, and named personas."""

import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PLAN_FILE = DATA / "plans" / "durres-2025-2028.yaml"
TERRITORY_FILE = DATA / "territory" / "durres.yaml"
DIRECTORY_FILE = DATA / "directory" / "durres.yaml"
NEEDS_FILE = DATA / "needs" / "durres.yaml"


def load_durres():
    """Load Durrës: territory, plan, directory and needs figures (each idempotent)."""
    from socialplan.directory.loader import load_directory_file
    from socialplan.monitoring.loader import load_monitoring_file
    from socialplan.needs.loader import load_needs_file
    from socialplan.plan.loader import load_plan_file
    from socialplan.territory.loader import load_territory_file

    load_territory_file(TERRITORY_FILE)
    plan = load_plan_file(PLAN_FILE).plan
    load_directory_file(DIRECTORY_FILE)
    load_needs_file(NEEDS_FILE)
    load_monitoring_file(DATA / "monitoring" / "durres.yaml")
    return plan


# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background tasks run at once, inside the test (one test runs a real worker).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # No collectstatic in tests: serve static files from the source folders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With two database roles (MIGRATE_DATABASE_URL), the owner makes the test database.

    It creates, migrates (which grants the application role its rights) and
    at the end drops test_<name>[_gw0]; the tests themselves connect as the
    application role (django_db_setup below), as the application does.
    """
    from socialplan.dbroles import connected_as

    with connected_as("owner"):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from socialplan.dbroles import connected_as

    # Tests run as the application role; `flush` after a test that commits
    # connects as the owner by itself (accounts/management/commands/flush.py).
    with connected_as("app"):
        # Load Durrës once per test database; tests run in transactions on top.
        with django_db_blocker.unblock():
            load_durres()
        yield


@pytest.fixture
def durres_plan(db):
    """The Durrës plan, loaded (again, if a transactional test flushed the database)."""
    from socialplan.needs.models import NeedFigure
    from socialplan.plan.models import Plan

    plan = Plan.objects.filter(slug="durres-2025-2028").first()
    if plan is not None and NeedFigure.objects.filter(municipality=plan.municipality).exists():
        return plan
    return load_durres()


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
def verified_login(db):
    """Log a user in past both steps: verified_login(client, user) -> client.

    Staff whose roles reach personal data must also enter a TOTP code; this
    gives the user a confirmed device and marks the session verified, as
    django_otp.login() does after a right code.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(client, user):
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture
def citizen_client(client):
    """A member of the public: no login."""
    return client


@pytest.fixture
def english_client(client):
    """A visitor who chose English with the switch in the header."""
    client.cookies["django_language"] = "en"
    return client


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one per test process."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs Debian's chromium for the browser tests (apt-get install chromium)"
            )
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, durres_plan):
    """A fresh browser tab on the live test server, in Albanian, with Durrës loaded."""
    context = browser.new_context(locale="sq-AL")
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()
