"""The two database roles: which URL is which, and what the owner grants the application."""

import pytest
from django.db import connection

from socialplan.bulkwrite import analyze
from socialplan.dbroles import RoleError, grant_app_role
from socialplan.settings import database_roles

APP = "postgres://socialplan_app:app-secret@db.example:5432/socialplan"
OWNER = "postgres://socialplan_owner:owner-secret@db.example:5432/socialplan"


def test_two_roles_only_when_migrate_database_url_names_another_user():
    roles = database_roles({"DATABASE_URL": APP, "MIGRATE_DATABASE_URL": OWNER})
    assert roles["app"] == {
        "USER": "socialplan_app",
        "PASSWORD": "app-secret",
        "HOST": "db.example",
        "PORT": 5432,
    }
    assert roles["owner"]["USER"] == "socialplan_owner"
    assert roles["owner"]["PASSWORD"] == "owner-secret"
    # One role: SQLite, no MIGRATE_DATABASE_URL, or the same user twice.
    assert database_roles({}) == {}
    assert database_roles({"DATABASE_URL": APP}) == {}
    assert database_roles({"DATABASE_URL": APP, "MIGRATE_DATABASE_URL": APP}) == {}
    assert database_roles({"DATABASE_URL": "sqlite:///x.db", "MIGRATE_DATABASE_URL": OWNER}) == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")
def test_the_grants_refuse_a_superuser_as_the_application_role(db, settings):
    settings.DATABASE_ROLES = {
        "app": {"USER": "postgres", "PASSWORD": "", "HOST": "", "PORT": ""},
        "owner": {"USER": "someone_else", "PASSWORD": "", "HOST": "", "PORT": ""},
    }
    with pytest.raises(RoleError, match="superuser"):
        grant_app_role()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics")
def test_the_application_refreshes_statistics_after_a_bulk_load(db):
    """ANALYZE needs ownership on PostgreSQL 15; the application role still gets it done."""

    def analyses() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'registry_person'"
            )
            return cursor.fetchone()[0]

    before = analyses()
    analyze(["registry_person"])
    assert analyses() == before + 1
