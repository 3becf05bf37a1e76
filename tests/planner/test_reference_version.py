"""The reference version: bumped with every reference change, read by every check (issue 13)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction

from planner import models as ref
from planner.plans import selectors
from planner.reference import version
from planner.reference.loader import load_reference
from tests.planner.factories_reference import LimitFactory, ProductFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed():
    """Runs a change in its own transaction, then drops its pending on-commit marker as a real commit would
    (the test's own transaction never commits)."""

    def run(change):
        with transaction.atomic():
            result = change()
        connection.run_on_commit = [
            entry for entry in connection.run_on_commit if not isinstance(entry[1], version._UncommittedChange)
        ]
        return result

    return run


def _session_max(product):
    return selectors.reference_inputs(product).limits.session_max.value


def _cached(product, version_number):
    return cache.get(selectors.reference_inputs_key(product, version_number)) is not None


def _set_value(limit, value):
    limit.value = Decimal(value)
    limit.save()


def test_reference_version_edit_is_seen_by_the_next_check_even_when_the_cache_holds_an_older_version(committed):
    limit = committed(lambda: LimitFactory(value=Decimal(1000)))
    product = limit.product
    assert _session_max(product) == 1000
    cached_version = version.current()
    assert _cached(product, cached_version)

    committed(lambda: _set_value(limit, 800))

    assert version.current() > cached_version
    assert not _cached(product, version.current())
    assert _session_max(product) == 800
    assert _cached(product, version.current())


def test_reference_version_two_edits_committed_out_of_order_end_at_the_newest(committed):
    """Edit A reads its row first but commits last; a worker caches in between. Each commit bumps the one
    counter row, so A's commit is a version the worker has not cached, whatever order the edits began in."""
    limit = committed(lambda: LimitFactory(value=Decimal(1000)))
    product = limit.product
    ceiling = committed(lambda: LimitFactory(product=product, kind=ref.ProductLimit.Kind.HARD_CEILING, value=1500))
    stale_copy_for_edit_a = ref.ProductLimit.objects.get(pk=ceiling.pk)  # A starts: reads the row

    committed(lambda: _set_value(limit, 900))  # B commits first
    assert _session_max(product) == 900  # a worker caches the state after B
    after_b = version.current()

    committed(lambda: _set_value(stale_copy_for_edit_a, 1200))  # A commits last
    assert version.current() == after_b + 1
    inputs = selectors.reference_inputs(product)
    assert inputs.limits.session_max.value == 900
    assert ref.ProductLimit.objects.get(pk=ceiling.pk).value == 1200
    assert _cached(product, version.current())


def test_reference_version_what_an_uncommitted_change_reads_is_kept_with_its_transaction_not_shared():
    limit = LimitFactory(value=Decimal(1000))  # inside the test's transaction: never committed
    assert version.uncommitted_change()
    inputs = selectors.reference_inputs(limit.product)
    assert inputs.limits.session_max.value == 1000
    assert selectors.reference_inputs(limit.product) is inputs  # kept for this transaction's next check
    # Should this change roll back, another change would commit the same version number with other data.
    assert not _cached(limit.product, version.current())

    with transaction.atomic():
        LimitFactory(product=limit.product, kind="hard_ceiling", value=Decimal(2000))
        transaction.set_rollback(True)
    connection.run_on_commit = []  # the outer transaction rolled back too
    assert version.uncommitted_change() is None
    assert selectors.reference_inputs(limit.product).limits.session_max.value == 1000
    assert _cached(limit.product, version.current())


def test_reference_inputs_keys_are_fit_for_every_cache_backend(committed):
    """memcached refuses keys with spaces or control characters, non-ASCII, or longer than 250 bytes."""
    product = committed(lambda: ProductFactory())
    for key in (selectors.reference_inputs_key(product, 2**63 - 1), selectors.reference_inputs_key(None, 0)):
        assert key.isascii() and key.isprintable() and " " not in key and len(key) < 200
    assert selectors.reference_inputs(product) == selectors.reference_inputs(product)  # kept whole through pickling


def test_reference_version_every_kind_of_reference_change_bumps_it(committed):
    def bumps(change):
        before = version.current()
        committed(change)
        return version.current() > before

    product = committed(ProductFactory)
    source = committed(lambda: SourceFactory(code="X1"))
    assert bumps(lambda: source.save())
    assert bumps(lambda: product.sources.add(source))
    assert bumps(lambda: product.sources.remove(source))
    caution = committed(lambda: ref.Caution.objects.create(code="TEST_CAUTION", text="a caution"))
    assert bumps(lambda: caution.products.set([product]))
    assert bumps(lambda: ref.PolicySetting.objects.create(code="median_multiple_warning", value=2, note="test"))
    source.is_active = False  # reference rows are deactivated, never deleted
    assert bumps(lambda: source.save())


def test_reference_version_loadreference_bumps_it(committed):
    before = version.current()
    committed(load_reference)
    assert version.current() > before


def test_reference_version_loadreference_bumps_it_once_for_the_whole_set(committed):
    before = version.current()
    committed(load_reference)
    assert version.current() == before + 1


def test_reference_version_bumped_once_needs_a_transaction_and_bumps_not_at_all_on_an_error(monkeypatch):
    with monkeypatch.context() as outside_a_transaction:
        outside_a_transaction.setattr(connections["default"], "in_atomic_block", False)
        with pytest.raises(RuntimeError, match="open transaction"), version.bumped_once():
            pass
    with transaction.atomic():
        before = version.current()
        with pytest.raises(ValueError), version.bumped_once():
            SourceFactory(code="X2")
            raise ValueError("the load failed")
        assert version.current() == before


def test_reference_version_a_number_reused_after_a_rolled_back_savepoint_does_not_find_its_inputs():
    limit = LimitFactory(value=Decimal(1000))  # an uncommitted change: the inputs are kept with the transaction
    with transaction.atomic():
        _set_value(limit, 900)
        assert _session_max(limit.product) == 900
        reused = version.current()
        transaction.set_rollback(True)
    limit.refresh_from_db()
    with transaction.atomic():
        _set_value(limit, 800)  # the same version number as the rolled-back change
        assert version.current() == reused
        assert _session_max(limit.product) == 800
