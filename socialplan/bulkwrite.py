"""Writing many rows fast: PostgreSQL's COPY, or executemany on SQLite.

Used where rows come by the hundred thousand (the synthetic national dataset,
bulk imports of people). Callers assign ids themselves from a block taken
under a table lock (next_id, then reset_sequence), so that rows written in
one pass can point at each other without a round trip per row.
"""

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection


class Writer:
    """Writes rows to a table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def write(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        # The driver's own cursor is used below; Django's wrapper turns its
        # errors (a dropped connection, say) into django.db errors as usual.
        with self.cursor.db.wrap_database_errors:
            count = self._write(table, columns, rows)
        self.counts[table] = self.counts.get(table, 0) + count
        return count

    def _write(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        count = 0
        if self.postgres:
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self.cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 5000:
                self.cursor.cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            self.cursor.cursor.executemany(sql, batch)
            count += len(batch)
        return count

    def lock(self, tables: list[str]) -> None:
        """Ids are taken from MAX(id)+1: nobody else may insert into these meanwhile.
        (SQLite has one writer at a time already.)"""
        if self.postgres:
            self.cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")

    @contextmanager
    def foreign_keys_checked_at_end(self, table: str):
        """On PostgreSQL, drop the table's foreign keys for the load and add them back.

        Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: each COPYed
        row queues one check per key, run at COMMIT (for 6 million service
        events, 42 million single-row lookups, minutes). Adding a key back
        validates every row in one join instead, as PostgreSQL's "Populating
        a Database" advises. All inside the caller's transaction: if anything
        fails, the keys were never gone.
        """
        if not self.postgres or not _owns(self.cursor, table):
            # Only the table's owner may drop its keys (socialplan.dbroles): the
            # application role keeps them, checked at COMMIT (slower, as correct).
            yield
            return
        # Dropping a key alters the referenced table too, which PostgreSQL refuses
        # while checks queued by this transaction's earlier writes are pending:
        # run them now.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        keys = self.cursor.fetchall()
        for name, _definition in keys:
            self.cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        yield
        for name, definition in keys:
            self.cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def check_foreign_keys_as_written(self, table: str, *, except_columns=()) -> None:
        """On PostgreSQL, check the table's foreign keys row by row during the COPY.

        Deferred (Django's default), the checks all run at COMMIT, after the
        last row: seconds at the end of a large import. Immediate, the server
        runs them while the client is still reading and sending rows. Keys to
        rows written later in the same transaction stay deferred.
        """
        if not self.postgres:
            return
        self.cursor.execute(
            "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND NOT a.attname = ANY(%s)",
            [table, list(except_columns)],
        )
        names = [f'"{name}"' for (name,) in self.cursor.fetchall()]
        if names:
            self.cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")

    def next_id(self, table: str) -> int:
        self.cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return self.cursor.fetchone()[0]

    def reset_sequence(self, table: str) -> None:
        if self.postgres:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


def _value(v):
    """SQLite's executemany takes no aware datetimes: store them as Django does."""
    if isinstance(v, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(v)
    if isinstance(v, datetime.date):
        return connection.ops.adapt_datefield_value(v)
    return v


def as_stored(rows: Iterator[tuple]) -> Iterator[tuple]:
    if connection.vendor == "postgresql":
        return rows
    return (tuple(_value(v) for v in row) for row in rows)


def analyze(tables: list[str]) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL).

    Autovacuum would do it eventually, or never where it is off; until then
    the planner believes a table of 300,000 rows holds a few dozen and picks
    plans that take seconds (seen in bench/load.py).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                if _owns(cursor, table) or not _analyze_function(cursor):
                    cursor.execute(f"ANALYZE {table}")
                else:
                    # On PostgreSQL 15 only the owner may ANALYZE; the application
                    # role asks the owner's function (socialplan.dbroles.GRANTS).
                    cursor.execute("SELECT socialplan_analyze(%s::regclass)", [table])


def _owns(cursor, table: str) -> bool:
    cursor.execute(
        "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
        "WHERE oid = %s::regclass",
        [table],
    )
    return cursor.fetchone()[0]


def _analyze_function(cursor) -> bool:
    cursor.execute("SELECT to_regprocedure('socialplan_analyze(regclass)') IS NOT NULL")
    return cursor.fetchone()[0]
