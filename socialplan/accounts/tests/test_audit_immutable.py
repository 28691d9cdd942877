"""The audit log cannot be rewritten: by the model everywhere, by the database on PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from socialplan.accounts.audit import record
from socialplan.accounts.models import AuditEvent


def test_the_model_refuses_changes_and_deletion(db):
    event = record(None, "view", summary="test")
    event.summary = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_postgresql_refuses_update_and_delete(db):
    event = record(None, "view", summary="test")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "test"
