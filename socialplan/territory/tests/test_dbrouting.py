"""Where queries go in a national deployment: reports and exports to the read replica,
everything else (and every write) to the primary; and the DATABASES the environment builds.

The router is tested directly with the aliases it should consider configured
(the test settings have no replica), then through the real open-data and
annual-report views with a router that notes, for every query, whether it ran
inside `reporting()`. One test runs only when REPLICA_DATABASE_URL is set
(point it at the same database): it checks the replica connection really
serves a download.
"""

import threading

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from socialplan.accounts.models import Membership
from socialplan.dbrouting import REPLICA, ReportingRouter, in_reporting, reporting
from socialplan.monitoring.models import AnnualReport
from socialplan.registry.models import Person
from socialplan.settings import database_settings
from socialplan.territory.models import Municipality

SLUG = "durres-2025-2028"
YEAR = 2026
PG_URL = "postgres://socialplan:secret@db.example.org:5432/socialplan"
REPLICA_URL = "postgres://socialplan:secret@replica.example.org:5432/socialplan"
SQLITE_URL = "sqlite:////tmp/socialplan-test.sqlite3"

with_replica = ReportingRouter(databases={"default": {}, "replica": {}})
without_replica = ReportingRouter(databases={"default": {}})


# --- The router ----------------------------------------------------------------------------


def test_reads_go_to_the_replica_only_inside_reporting():
    assert with_replica.db_for_read(Person) == "default"
    with reporting():
        assert in_reporting()
        assert with_replica.db_for_read(Person) == "replica"
        with reporting():  # nested: still reporting, and the outer block survives the inner
            assert with_replica.db_for_read(Person) == "replica"
        assert with_replica.db_for_read(Person) == "replica"
    assert not in_reporting()
    assert with_replica.db_for_read(Person) == "default"


def test_without_a_replica_reporting_reads_from_default():
    with reporting():
        assert without_replica.db_for_read(Person) == "default"


def test_the_installed_router_sees_the_configured_aliases():
    assert settings.DATABASE_ROUTERS == ["socialplan.dbrouting.ReportingRouter"]
    configured = REPLICA in settings.DATABASES
    with reporting():
        # Outside any transaction (no database in this test), so only the
        # configuration decides.
        assert ReportingRouter().db_for_read(Person) == (REPLICA if configured else "default")


def test_writes_always_go_to_default():
    assert with_replica.db_for_write(Person) == "default"
    with reporting():
        assert with_replica.db_for_write(Person) == "default"
        assert router.db_for_write(Person) == "default"


def test_decorator_and_exceptions_restore_the_previous_state():
    @reporting()
    def build():
        return with_replica.db_for_read(Person)

    assert build() == "replica"
    assert build() == "replica"  # the same decorated function, called again
    assert with_replica.db_for_read(Person) == "default"

    @reporting()
    def fails():
        raise ValueError("broken report")

    with pytest.raises(ValueError):
        fails()
    assert not in_reporting()


def test_reporting_in_one_thread_does_not_leak_into_another():
    seen = {}

    def other_request():
        seen["other"] = with_replica.db_for_read(Person)

    with reporting():
        worker = threading.Thread(target=other_request)
        worker.start()
        worker.join()
        assert with_replica.db_for_read(Person) == "replica"
    assert seen["other"] == "default"


def test_reads_inside_a_transaction_on_the_primary_stay_there(db):
    # pytest-django runs this test inside a transaction on default: a row
    # written in it exists only there, so the replica must not be asked.
    assert connections[DEFAULT_DB_ALIAS].in_atomic_block
    with reporting():
        assert with_replica.db_for_read(Person) == "default"


def test_migrations_only_on_default():
    assert with_replica.allow_migrate("default", "registry", "person") is True
    assert with_replica.allow_migrate("replica", "registry", "person") is False


def test_relations_between_default_and_replica_are_allowed():
    def read_from(alias):
        person = Person()
        person._state.db = alias
        return person

    assert with_replica.allow_relation(read_from("default"), read_from("replica")) is True
    assert with_replica.allow_relation(read_from("replica"), read_from("replica")) is True
    # Another database is none of this router's business.
    assert with_replica.allow_relation(read_from("default"), read_from("archive")) is None


# --- Which producers read under reporting() ----------------------------------------------


class QueryRecorder:
    """First in DATABASE_ROUTERS: notes each routed query, then lets the real router decide."""

    def __init__(self):
        self.reads = []
        self.writes = []

    def db_for_read(self, model, **hints):
        self.reads.append((model._meta.label, in_reporting()))

    def db_for_write(self, model, **hints):
        self.writes.append((model._meta.label, in_reporting()))


@pytest.fixture
def recorder(settings):
    recorder = QueryRecorder()
    settings.DATABASE_ROUTERS = [recorder, *settings.DATABASE_ROUTERS]
    return recorder


@pytest.fixture
def planner(django_user_model, durres_plan):
    """Olti, planning and monitoring officer in Durrës (synthetic)."""
    user = django_user_model.objects.create_user("olti.planifikues", password="not-a-real-pw")
    Membership.objects.create(
        user=user, municipality=Municipality.objects.get(code="durres"), role="planner"
    )
    return user


def test_open_data_download_reads_under_reporting(durres_plan, client, recorder):
    response = client.get(reverse("portal:dataset", args=[SLUG, "budget-lines", "csv"]))
    assert response.status_code == 200
    inside = {label for label, reporting_ in recorder.reads if reporting_}
    assert "plan.BudgetLine" in inside
    # The view finds the plan before the download is built: that read is the page's own.
    assert ("plan.Plan", False) in recorder.reads
    assert not [w for w in recorder.writes if w[1]]


def test_annual_preview_reads_under_reporting(
    durres_plan, client, planner, verified_login, recorder
):
    verified_login(client, planner)
    response = client.get(reverse("monitoring:annual_preview_docx", args=[SLUG, YEAR]))
    assert response.status_code == 200
    inside = {label for label, reporting_ in recorder.reads if reporting_}
    assert {"monitoring.ProgressReport", "plan.Activity"} <= inside
    assert not [w for w in recorder.writes if w[1]]


def test_publishing_reads_and_writes_on_the_primary(
    durres_plan, client, planner, verified_login, recorder
):
    verified_login(client, planner)
    response = client.post(
        reverse("monitoring:annual_publish", args=[SLUG, YEAR]), {"language": "sq"}
    )
    assert response.status_code == 302
    assert AnnualReport.objects.filter(plan=durres_plan, year=YEAR, version=1).exists()
    assert ("monitoring.AnnualReport", False) in recorder.writes
    assert recorder.reads and not [r for r in recorder.reads if r[1]]


@pytest.mark.skipif(
    REPLICA not in settings.DATABASES, reason="set REPLICA_DATABASE_URL to test the replica"
)
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_download_is_served_by_the_replica_connection(durres_plan, client):
    # Outside a test transaction (transaction=True), as in production.
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connection) as on_default,
    ):
        response = client.get(reverse("portal:dataset", args=[SLUG, "budget-lines", "json"]))
    assert response.status_code == 200
    assert any("plan_budgetline" in q["sql"] for q in on_replica.captured_queries)
    assert not any("plan_budgetline" in q["sql"] for q in on_default.captured_queries)


# --- DATABASES from the environment ------------------------------------------------------


def test_default_is_sqlite_with_health_checks_and_no_replica():
    databases = database_settings({})
    assert list(databases) == ["default"]
    default = databases["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert str(default["NAME"]).endswith("db.sqlite3")
    assert default["CONN_HEALTH_CHECKS"] is True
    assert default["CONN_MAX_AGE"] == 60
    assert "pool" not in default.get("OPTIONS", {})


def test_replica_is_parsed_like_default_and_mirrors_it_in_tests():
    databases = database_settings(
        {"DATABASE_URL": PG_URL, "REPLICA_DATABASE_URL": REPLICA_URL, "CONN_MAX_AGE": "120"}
    )
    assert set(databases) == {"default", "replica"}
    default, replica = databases["default"], databases["replica"]
    assert default["HOST"] == "db.example.org"
    assert replica["ENGINE"] == "django.db.backends.postgresql"
    assert (replica["HOST"], replica["PORT"], replica["NAME"], replica["USER"]) == (
        "replica.example.org",
        5432,
        "socialplan",
        "socialplan",
    )
    assert replica["TEST"] == {"MIRROR": "default"}
    assert "TEST" not in default or "MIRROR" not in default["TEST"]
    for config in (default, replica):
        assert config["CONN_HEALTH_CHECKS"] is True
        assert config["CONN_MAX_AGE"] == 120
        assert "pool" not in config.get("OPTIONS", {})


def test_pool_on_postgresql_for_both_aliases():
    databases = database_settings(
        {
            "DATABASE_URL": PG_URL,
            "REPLICA_DATABASE_URL": REPLICA_URL,
            "DB_POOL_MAX": "16",
            "CONN_MAX_AGE": "120",
        }
    )
    for config in databases.values():
        assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 16, "timeout": 10}
        # Django passes psycopg's connection check to the pool when this is on.
        assert config["CONN_HEALTH_CHECKS"] is True
        # Django refuses a pool with persistent connections.
        assert config["CONN_MAX_AGE"] == 0


def test_pool_minimum_from_the_environment():
    pool = database_settings({"DATABASE_URL": PG_URL, "DB_POOL_MAX": "8", "DB_POOL_MIN": "4"})[
        "default"
    ]["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"]) == (4, 8)


def test_no_pool_on_sqlite():
    databases = database_settings({"DATABASE_URL": SQLITE_URL, "DB_POOL_MAX": "16"})
    default = databases["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert "pool" not in default.get("OPTIONS", {})
    assert default["CONN_MAX_AGE"] == 60


def test_no_pool_without_db_pool_max():
    default = database_settings({"DATABASE_URL": PG_URL, "DB_POOL_MIN": "4"})["default"]
    assert "pool" not in default.get("OPTIONS", {})
    assert default["CONN_MAX_AGE"] == 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pools are PostgreSQL only")
@pytest.mark.django_db
def test_the_pool_replaces_a_connection_killed_while_idle():
    # The options as built, on a wrapper of its own to the test database:
    # psycopg_pool accepts them, and a connection that died in the pool (as
    # in a PostgreSQL restart) is replaced instead of failing the request.
    from django.db.backends.postgresql.base import DatabaseWrapper

    built = database_settings({"DATABASE_URL": "postgres://x@h/db", "DB_POOL_MAX": "3"})["default"]
    settings_dict = {
        **connection.settings_dict,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": built["OPTIONS"]["pool"]},
        "CONN_MAX_AGE": built["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": built["CONN_HEALTH_CHECKS"],
    }
    wrapper = DatabaseWrapper(settings_dict, alias="pool_test")

    def backend_pid():
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                return cursor.fetchone()[0]
        finally:
            wrapper.close()  # back to the pool

    try:
        first = backend_pid()
        assert wrapper.pool.max_size == 3 and wrapper.pool.min_size == 2
        with connection.cursor() as cursor:
            # Every other session on the test database: the pool's, idle.
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        second = backend_pid()
        assert second != first
    finally:
        wrapper.close()
        wrapper.close_pool()


def test_postgresql_connections_run_without_jit_or_parallel_workers():
    built = database_settings({"DATABASE_URL": "postgres://u@db:5432/x"})
    assert built["default"]["OPTIONS"]["options"] == (
        "-c jit=off -c max_parallel_workers_per_gather=0"
    )
    assert "options" not in database_settings({})["default"].get("OPTIONS", {})
