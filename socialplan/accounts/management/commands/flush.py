"""Django's flush, run by whoever may empty the audit table too.

Tests that commit (transactional tests, the live server) are cleaned up with
flush. On PostgreSQL it TRUNCATEs, which the application role may not do to
the audit table (socialplan.dbroles): it runs as the owner. On SQLite, where
triggers refuse DELETE of audit rows, the triggers are set aside for the
flush and put back in the same transaction.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

from socialplan.dbroles import AUDIT_TABLES, connected_as


class Command(flush.Command):
    def handle(self, *args, **options):
        using = options["database"]
        with connected_as("owner", using):
            connection = connections[using]
            if connection.vendor != "sqlite":
                return super().handle(*args, **options)
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name IN (%s, %s)",
                    list(AUDIT_TABLES),
                )
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
                super().handle(*args, **options)
                for _name, sql in triggers:
                    cursor.execute(sql)
