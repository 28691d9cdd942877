"""On SQLite too, the audit tables refuse UPDATE and DELETE (0003 and 0006 on PostgreSQL).

`manage.py flush` (tests that commit) sets these triggers aside while it
empties the tables: socialplan/accounts/management/commands/flush.py.
A later migration that alters AuditEvent makes SQLite rebuild the table,
which drops these triggers: it must create them again.
"""

from django.db import migrations

TABLES = {"audit_event": "accounts_auditevent", "audit_subject": "accounts_auditsubject"}
CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS {name}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only: {op} refused'); END"
    for name, table in TABLES.items()
    for op in ("UPDATE", "DELETE")
]
DROP = [
    f"DROP TRIGGER IF EXISTS {name}_no_{op.lower()}"
    for name in TABLES
    for op in ("UPDATE", "DELETE")
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
    dependencies = [("accounts", "0006_audit_subject")]
    operations = [migrations.RunPython(forwards, backwards)]
