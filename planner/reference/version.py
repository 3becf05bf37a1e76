"""The reference data version: a counter bumped in the same transaction as every reference change.

Each worker caches the reference inputs of the safety checks per process, keyed by this version, and
reads the version before every check (one query). A change commits together with its bump, and the
bump is an UPDATE of one row: concurrent changes queue on that row lock and each commits a higher
number than the one before it, whatever order they started in. So the next check after any commit
sees a version it has not cached, and reloads.

`bump` is wired to every reference model's save, delete and many-to-many change (planner.apps), so the
loader, the admin and the CSV import all bump it; none of them writes reference rows in bulk.
"""

import itertools

from django.db import connection, transaction
from django.db.models import F

from planner.models import ReferenceVersion

ROW = 1
# Set on the connection while its open transaction holds an uncommitted bump. A version read inside that
# transaction may be rolled back and then reused by another change, so what is cached with it is also
# keyed by this token, which no other transaction (nor this connection after a rollback) ever holds.
_TOKEN = "_reference_version_token"
_tokens = itertools.count(1)


def current():
    """The committed version (or this transaction's own, if it changed reference data)."""
    return ReferenceVersion.objects.filter(pk=ROW).values_list("value", flat=True).first() or 0


def bump(**_signal_kwargs):
    """value = value + 1, in the current transaction. Accepts (and ignores) a signal's arguments."""
    if not ReferenceVersion.objects.filter(pk=ROW).update(value=F("value") + 1):
        # The migration creates the row; a test database flushed between tests has none.
        ReferenceVersion.objects.get_or_create(pk=ROW, defaults={"value": 1})
    if connection.in_atomic_block and not getattr(connection, _TOKEN, None):
        setattr(connection, _TOKEN, next(_tokens))
        transaction.on_commit(lambda: setattr(connection, _TOKEN, None))


def uncommitted_change():
    """None, or a token unique to the open transaction that has changed reference data and not committed."""
    if not connection.in_atomic_block:
        setattr(connection, _TOKEN, None)  # committed or rolled back since
        return None
    return getattr(connection, _TOKEN, None)
