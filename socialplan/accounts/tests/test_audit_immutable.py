"""The audit log cannot be rewritten: by the model everywhere, by the database itself.

On PostgreSQL a trigger refuses UPDATE and DELETE, and the application's role
(DATABASE_URL, with the owner in MIGRATE_DATABASE_URL: socialplan.dbroles)
may not TRUNCATE the table, disable the trigger or silence every trigger with
session_replication_role. On SQLite, triggers refuse UPDATE and DELETE.
"""

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from socialplan.accounts.audit import record
from socialplan.accounts.models import AuditEvent

postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL")
sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite triggers")


def test_the_model_refuses_changes_and_deletion(db):
    event = record(None, "view", summary="test")
    event.summary = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def refused(sql: str, params=(), match: str | None = None):
    """The statement fails, and only its savepoint is rolled back."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


@postgresql
def test_postgresql_refuses_update_and_delete(db):
    event = record(None, "view", summary="test")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    refused("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "test"


@pytest.fixture
def as_application_role(db):
    """The test connection is the application's role, as CI runs the tests."""
    if not settings.DATABASE_ROLES:
        if os.environ.get("CI"):
            pytest.fail(
                "CI runs PostgreSQL tests as the application role: set MIGRATE_DATABASE_URL"
            )
        pytest.skip("run with DATABASE_URL as the application role and MIGRATE_DATABASE_URL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.DATABASE_ROLES["app"]["USER"]


@postgresql
def test_the_application_role_is_no_superuser_and_owns_nothing(as_application_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
            "FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'accounts_auditevent' AND grantee = current_user "
            "ORDER BY privilege_type"
        )
        assert [p for (p,) in cursor.fetchall()] == ["INSERT", "SELECT"]


@postgresql
def test_the_application_role_cannot_rewrite_or_silence_the_audit_log(as_application_role):
    event = record(None, "view", summary="Drita's file opened")  # INSERT works
    denied = "permission denied"
    refused("TRUNCATE accounts_auditevent", match=denied)
    refused("UPDATE accounts_auditevent SET summary = 'nothing' WHERE id = %s", [event.pk], denied)
    refused("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk], match=denied)
    refused(
        "ALTER TABLE accounts_auditevent DISABLE TRIGGER audit_event_append_only", match="owner"
    )
    refused("ALTER TABLE accounts_auditevent DISABLE TRIGGER ALL", match="owner")
    refused("SET session_replication_role = replica", match=denied)
    refused("DROP TRIGGER audit_event_append_only ON accounts_auditevent", match="owner")
    refused("DROP TABLE accounts_auditevent", match="owner")
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_event_append_only'")
        assert cursor.fetchone()[0] == "O"  # enabled
    assert AuditEvent.objects.get(pk=event.pk).summary == "Drita's file opened"


@sqlite
def test_sqlite_refuses_update_and_delete(db):
    event = record(None, "view", summary="Drita's file opened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    refused("UPDATE accounts_auditevent SET summary = 'x' WHERE id = %s", [event.pk], "UPDATE")
    refused("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk], match="DELETE refused")
    refused("DELETE FROM accounts_auditevent", match="append-only")
    assert AuditEvent.objects.get(pk=event.pk).summary == "Drita's file opened"


def test_flush_still_empties_a_test_database_and_keeps_the_protection(transactional_db):
    """Tests that commit are cleaned up with flush: as the owner, triggers kept."""
    record(None, "view", summary="before the flush")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    event = record(None, "view", summary="after the flush")
    refused("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_people_an_event_names_cannot_be_rewritten_either(db):
    """'Who saw this person' must survive: AuditSubject rows are as append-only as events."""
    from socialplan.accounts.models import AuditSubject

    event = record(None, "list", summary="a list", people=[41, 42])
    subject = AuditSubject.objects.get(event=event, person_id=41)
    with pytest.raises(PermissionError):
        subject.delete()
    refused("UPDATE accounts_auditsubject SET person_id = 7 WHERE id = %s", [subject.pk])
    refused("DELETE FROM accounts_auditsubject WHERE event_id = %s", [event.pk])
    assert sorted(event.subjects.values_list("person_id", flat=True)) == [41, 42]
