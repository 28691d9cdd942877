"""Two PostgreSQL roles: the owner changes the schema, the application only its rows.

The audit log must outlive anyone who would rather it did not: a superuser
(or a table's owner) can TRUNCATE it, disable its append-only trigger or set
`session_replication_role = replica`, which silences every trigger. So the
application does not connect as one. With MIGRATE_DATABASE_URL set
(settings.DATABASE_ROLES, docs/database-roles.md):

- the owner role (MIGRATE_DATABASE_URL) owns the database and every table;
  `migrate`, `flush` and `generate_national` connect as it, and `migrate`
  then grants the application role what it needs (grant_app_role);
- the application role (DATABASE_URL) owns nothing: it reads and writes the
  rows of every table, but of the audit table only SELECT and INSERT.

Without MIGRATE_DATABASE_URL (SQLite, a simple set-up) everything here does
nothing and the application connects as DATABASE_URL alone.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

AUDIT_TABLE = "accounts_auditevent"
# The audit log and the people each event names: only ever added to.
AUDIT_TABLES = (AUDIT_TABLE, "accounts_auditsubject")


def roles_configured(using: str = DEFAULT_DB_ALIAS) -> bool:
    return bool(settings.DATABASE_ROLES) and using == DEFAULT_DB_ALIAS


def _credentials(connection) -> dict:
    return {key: connection.settings_dict[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}


def _switch(connection, credentials: dict) -> None:
    connection.close()
    # The settings dict is shared by this alias's connections in every thread
    # (a live server's too): from here on they all open as this role.
    connection.settings_dict.update(credentials)
    if connection.settings_dict.get("OPTIONS", {}).get("pool"):
        # A pool keeps connections opened as the other role: start a new one.
        connection.close_pool()


@contextmanager
def connected_as(role: str, using: str = DEFAULT_DB_ALIAS):
    """Inside the block, `connections[using]` connects as "owner" or "app".

    The connection is closed and reopened, so no transaction may be open on
    it. Does nothing when only one role is configured, or it is already that.
    """
    if not roles_configured(using):
        yield
        return
    connection = connections[using]
    wanted, before = settings.DATABASE_ROLES[role], _credentials(connection)
    if wanted == before:
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError(f"cannot connect as the {role} role inside a transaction")
    _switch(connection, wanted)
    try:
        yield
    finally:
        _switch(connection, before)


# Run by the owner after every migrate: idempotent, and it covers tables that
# migrations added since. ANALYZE needs ownership on PostgreSQL 15; the
# function lets the application refresh the planner's statistics after a bulk
# import (socialplan.bulkwrite.analyze) without owning the tables.
GRANTS = """
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app};
REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA {schema} FROM {app};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {app};
REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {audit} FROM {app};
REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {audit_subjects} FROM {app};
CREATE OR REPLACE FUNCTION socialplan_analyze(target regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    EXECUTE format('ANALYZE %s', target);
END;
$$;
REVOKE ALL ON FUNCTION socialplan_analyze(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION socialplan_analyze(regclass) TO {app};
"""


class RoleError(Exception):
    """The roles are not as docs/database-roles.md describes."""


def grant_app_role(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Grant the application role its rights on every table; the role's name, or None.

    Must run as the owner. Refuses (RoleError) if the application role owns a
    table or is a superuser: it could then disable the audit trigger.
    """
    if not roles_configured(using):
        return None
    app = settings.DATABASE_ROLES["app"]["USER"]
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app])
        row = cursor.fetchone()
        if row is None:
            raise RoleError(f"no role {app!r}: run `make db-roles` first")
        if row[0]:
            raise RoleError(f"the application role {app!r} is a superuser")
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
            "WHERE rolname = %s) AND relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND relnamespace = current_schema()::regnamespace ORDER BY relname",
            [app],
        )
        owned = [name for (name,) in cursor.fetchall()]
        if owned:
            raise RoleError(f"the application role {app!r} owns {', '.join(owned)}")
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(
            GRANTS.format(
                schema=quote(schema),
                app=quote(app),
                audit=quote(AUDIT_TABLES[0]),
                audit_subjects=quote(AUDIT_TABLES[1]),
            )
        )
    return app
