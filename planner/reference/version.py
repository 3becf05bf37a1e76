"""The reference data version: a counter bumped in the same transaction as every reference change.

The reference inputs of the safety checks are cached (the Django cache, shared by every app server when
CACHE_URL names a cache server) keyed by this version, and every check reads the version first (one
query). A change commits together with its bump, and the bump is an UPDATE of one row: concurrent changes
queue on that row lock and each commits a higher number than the one before it, whatever order they
started in. So the next check after any commit, on any server, asks for a version nobody has cached, and
reloads.

`bump` is wired to every reference model's save, delete and many-to-many change (planner.apps), so the
loader, the admin and the CSV import all bump it; none of them writes reference rows in bulk.
"""

import itertools
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.models import F

from planner.models import ReferenceVersion

ROW = 1
_tokens = itertools.count(1)
_bump_deferred = ContextVar("reference_version_bump_deferred", default=False)


class _UncommittedChange:
    """Registered with on_commit by the first bump of a transaction. While it waits in the connection's
    on-commit queue, the transaction holds an uncommitted reference change; Django drops it from the queue
    when the transaction (or the savepoint that made the change) rolls back, and runs it on commit.

    What the transaction reads of the reference data is kept here (``cache``), never in the shared cache:
    it goes with the transaction, and no other one sees it."""

    def __init__(self):
        self.token = next(_tokens)
        self.cache = {}

    def __call__(self):
        pass  # committed: the change is everyone's now


def current():
    """The committed version (or this transaction's own, if it changed reference data)."""
    return ReferenceVersion.objects.filter(pk=ROW).values_list("value", flat=True).first() or 0


def bump(**_signal_kwargs):
    """value = value + 1, in the current transaction. Accepts (and ignores) a signal's arguments."""
    if _bump_deferred.get():
        return
    if not ReferenceVersion.objects.filter(pk=ROW).update(value=F("value") + 1):
        # The migration creates the row; a test database flushed between tests has none.
        ReferenceVersion.objects.get_or_create(pk=ROW, defaults={"value": 1})
    if connection.in_atomic_block and _pending() is None:
        transaction.on_commit(_UncommittedChange())


@contextmanager
def bumped_once():
    """The reference writes inside bump the version once, when they are all done, in the same transaction
    (which must be open): loading the shipped set writes hundreds of rows, and a bump for each save and
    link change was a third of its queries. Nothing inside may read the reference inputs through the cache:
    until the bump, the version still names the data as it was. An error inside skips the bump; the
    transaction it raises through rolls the writes back."""
    if not connection.in_atomic_block:
        raise RuntimeError("bumped_once() needs an open transaction: the writes and their bump commit together.")
    token = _bump_deferred.set(True)
    try:
        yield
    finally:
        _bump_deferred.reset(token)
    bump()


def chart_token():
    """The version as a part of the patient chart's cache key (patients.chart.register_chart_version_source):
    the chart's sections show product and muscle names and the non-response policy. None while the open
    transaction holds an uncommitted reference change, whose version number may yet be rolled back and reused."""
    version = current()
    return None if uncommitted_change() is not None else f"reference-{version}"


def _pending():
    queued = (func for _savepoints, func, _robust in connection.run_on_commit)
    return next((func for func in queued if isinstance(func, _UncommittedChange)), None)


def uncommitted_cache():
    """None, or a dict that lives as long as the open transaction's uncommitted reference change.

    One dict per stack of open savepoints: a savepoint rolled back takes its bumps with it, so the next
    bump reuses a version number with other data; savepoint names are never reused on a connection, so
    what was read under the rolled-back one is never found again.
    """
    if not connection.in_atomic_block:
        return None
    change = _pending()
    return change.cache.setdefault(tuple(connection.savepoint_ids), {}) if change is not None else None


def uncommitted_change():
    """None, or a token unique to the open transaction that has changed reference data and not committed.

    A version read inside such a transaction may be rolled back and then reused by another change: what
    is cached with it is also keyed by this token, which no other transaction ever holds.
    """
    if not connection.in_atomic_block:
        return None
    change = _pending()
    return change.token if change is not None else None
