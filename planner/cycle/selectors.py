"""Reads for the end of a treatment cycle: a session's billing record and cost, and the price table.

The pure work is in planner.rules.billing; here the reference rows and the session become its plain data.
"""

from django.db.models import Prefetch

from planner.models import BillingCode, Source, VialPrice
from planner.rules import billing
from planner.rules.totals import dose_total


def billing_codes():
    """The active billing codes as billing.Code (two queries)."""
    rows = (
        BillingCode.objects.filter(is_active=True)
        .select_related("product")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "code")))
        .order_by("kind", "code")
    )
    return [
        billing.Code(
            code=row.code,
            kind=row.kind,
            description=row.description,
            sources=tuple(sorted(source.code for source in row.sources.all())),
            verification=row.verification,
            product_code=row.product.code if row.product else "",
            billing_unit=row.billing_unit,
            note=row.note,
        )
        for row in rows
    ]


def vial_prices():
    """{(product id, vial units): VialPrice} of the active rows (one query)."""
    return {
        (row.product_id, row.vial_units): row
        for row in VialPrice.objects.filter(is_active=True).only("product_id", "vial_units", "price", "currency", "ndc")
    }


def session_facts(session, rows, prices):
    """billing.SessionFacts of a signed session whose ``rows`` (its injections) are loaded."""
    dosed = [row for row in rows if row.dose is not None]
    price = prices.get((session.product_id, session.vial_units)) if session.vial_units else None
    return billing.SessionFacts(
        product_code=session.product.code,
        product_name=session.product.brand_name,
        units_label=session.product.units_label,
        administered=dose_total(row.dose for row in dosed),
        sides=frozenset(row.side for row in dosed),
        guidance=frozenset(row.guidance for row in dosed),
        vial_units=session.vial_units,
        vial_count=session.vial_count,
        ndc=price.ndc if price else "",
    )


def session_billing(session, rows, *, codes=None, prices=None):
    """(BillingRecord, Cost or None) of one signed session; pass ``codes`` and ``prices`` for many sessions."""
    codes = billing_codes() if codes is None else codes
    prices = vial_prices() if prices is None else prices
    facts = session_facts(session, rows, prices)
    price = prices.get((session.product_id, session.vial_units)) if session.vial_units else None
    cost = billing.session_cost(
        administered=facts.administered,
        vial_units=session.vial_units,
        vial_count=session.vial_count,
        price=price.price if price else None,
        currency=price.currency if price else "",
    )
    return billing.billing_record(facts, codes), cost


def cycle_record_context(session, rows):
    """What the session record shows of the cycle's end: {"billing": ..., "cost": ...} once signed."""
    if not session.is_signed or session.product is None:
        return {"billing": None, "cost": None}
    record, cost = session_billing(session, rows)
    return {"billing": record, "cost": cost}
