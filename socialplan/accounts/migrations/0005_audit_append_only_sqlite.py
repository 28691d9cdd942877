"""On SQLite too, the audit table refuses UPDATE and DELETE (0003 did it on PostgreSQL).

`manage.py flush` (tests that commit) sets these triggers aside while it
empties the tables: socialplan/accounts/management/commands/flush.py.
A later migration that alters AuditEvent makes SQLite rebuild the table,
which drops these triggers: it must create them again.
"""

from django.db import migrations

CREATE = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON accounts_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON accounts_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END",
]
DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_apitoken")]
    operations = [migrations.RunPython(forwards, backwards)]
