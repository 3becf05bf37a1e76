"""The reference data version: a counter bumped in the same transaction as every reference change.

Each worker caches the reference inputs of the safety checks per process, keyed by this version, and
reads the version before every check (one query). A change commits together with its bump, and the
bump is an UPDATE of one row: concurrent changes queue on that row lock and each commits a higher
number than the one before it, whatever order they started in. So the next check after any commit
sees a version it has not cached, and reloads.

`bump` is wired to every reference model's save, delete and many-to-many change (planner.apps), so the
loader, the admin and the CSV import all bump it; none of them writes reference rows in bulk.
"""

from django.db import connection, transaction
from django.db.models import F

from planner.models import ReferenceVersion

ROW = 1
# Set on the connection while its open transaction holds an uncommitted bump: a version read inside
# that transaction may be rolled back (and then reused by another change), so nothing is cached with it.
_DIRTY = "_reference_version_bumped"


def current():
    """The committed version (or this transaction's own, if it changed reference data)."""
    return ReferenceVersion.objects.filter(pk=ROW).values_list("value", flat=True).first() or 0


def bump(**_signal_kwargs):
    """value = value + 1, in the current transaction. Accepts (and ignores) a signal's arguments."""
    if not ReferenceVersion.objects.filter(pk=ROW).update(value=F("value") + 1):
        # The migration creates the row; a test database flushed between tests has none.
        ReferenceVersion.objects.get_or_create(pk=ROW, defaults={"value": 1})
    if connection.in_atomic_block:
        setattr(connection, _DIRTY, True)
        transaction.on_commit(lambda: setattr(connection, _DIRTY, False))


def uncommitted_change():
    """True inside a transaction that has changed reference data and not committed yet."""
    if not connection.in_atomic_block:
        setattr(connection, _DIRTY, False)  # committed or rolled back since
        return False
    return getattr(connection, _DIRTY, False)
