"""Which database a query goes to: the primary, or a streaming read replica for reports.

A national deployment runs PostgreSQL with a read replica (settings:
REPLICA_DATABASE_URL adds the "replica" alias). The heavy reads are the
reports and exports: open-data downloads and the annual monitoring report
scan whole plans, registers and directories. Sending them to the replica
keeps them off the primary, which serves the register's pages and every
write.

A replica lags the primary by a moment (usually under a second, seconds
under load). That is acceptable for a report or a download: it describes
the plan or the register as of a moment ago. It is never acceptable for the
register's pages, which show a person, a case or a referral right after
staff saved it: they would read the old row back. So the replica is opt-in:
only code inside `reporting()` reads from it, everything else reads from
the primary, and every write goes to the primary.

    from socialplan.dbrouting import reporting

    @reporting()
    def build_report(...): ...

    with reporting():
        rows = dataset.rows(plan)

Without a "replica" alias (SQLite, a single PostgreSQL server),
`reporting()` changes nothing: all reads go to "default". Nor does it inside
a transaction on "default" (see db_for_read). Do not wrap code that writes
and then reads back what it wrote.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# A ContextVar rather than a thread-local: each request (thread or task) sees
# only its own setting, and leaving the block restores the previous value.
_reporting: ContextVar[bool] = ContextVar("socialplan_reporting", default=False)


@contextmanager
def reporting():
    """Inside this block (or decorated function), reads may go to the replica.

    A @contextmanager works as a decorator too, and builds a fresh context
    for every call: one decorated view is safe under threaded workers.
    """
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def in_reporting() -> bool:
    return _reporting.get()


class ReportingRouter:
    """Reads inside `reporting()` go to the replica, if there is one; all else to default.

    `databases` is for tests: the aliases to consider configured. In use
    Django builds the router without arguments and it reads the configured
    connections.
    """

    def __init__(self, databases=None):
        self._databases = databases

    def _replica_configured(self) -> bool:
        databases = self._databases if self._databases is not None else connections.settings
        return REPLICA in databases

    def db_for_read(self, model, **hints):
        if not (_reporting.get() and self._replica_configured()):
            return DEFAULT_DB_ALIAS
        # A transaction open on the primary may already have written rows the
        # replica cannot see (and never will, if it rolls back): reads inside
        # it stay on the primary, whatever the caller asked.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        # The replica is read-only (a hot standby refuses writes): the primary
        # takes every write, audit rows written during a report included.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data, so an object read from the replica
        # may be linked to one read from the primary (a report's plan, say).
        ours = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Migrations run on the primary; the replica receives them through
        # replication, and cannot be written to anyway.
        return db == DEFAULT_DB_ALIAS
