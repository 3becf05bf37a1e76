"""Drug cost and the cost of discarded units, per month, for the clinic figures page.

A session has a cost only when its preparation records the vials used and the reference data has a
price for that product at that vial size (planner.models.cycle.VialPrice); the page says how many
sessions had none. Costs are money, so they may be added across products, per currency only.
Three queries, whatever the period.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from planner.cycle.selectors import vial_prices
from planner.models import InjectionSession
from planner.rules import billing


@dataclass(frozen=True)
class MonthCost:
    month: date
    currency: str
    sessions: int
    drug: Decimal
    discarded: Decimal

    @property
    def per_session(self):
        return (self.drug / self.sessions).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ClinicCosts:
    months: tuple  # MonthCost, months with a costed session only
    sessions: int  # signed sessions in the period
    without_price: int  # of which no cost could be worked out
    prices: int  # active vial prices in the reference data

    @property
    def totals(self):
        """{currency: (drug, discarded)} over the period."""
        totals = {}
        for month in self.months:
            drug, discarded = totals.get(month.currency, (Decimal(0), Decimal(0)))
            totals[month.currency] = (drug + month.drug, discarded + month.discarded)
        return sorted(totals.items())


def clinic_costs(*, date_from, date_to):
    prices = vial_prices()
    sessions = (
        InjectionSession.objects.current()
        .filter(visit__date__gte=date_from, visit__date__lte=date_to)
        .annotate(total=Sum("injections__dose"))
        .values_list("product_id", "vial_units", "vial_count", "visit__date", "total")
    )
    months, count, without = {}, 0, 0
    for product_id, vial_units, vial_count, day, total in sessions:
        count += 1
        price = prices.get((product_id, vial_units)) if vial_units else None
        cost = billing.session_cost(
            administered=total or Decimal(0),
            vial_units=vial_units,
            vial_count=vial_count,
            price=price.price if price else None,
            currency=price.currency if price else "",
        )
        if cost is None:
            without += 1
            continue
        key = (date(day.year, day.month, 1), cost.currency)
        sessions_in, drug, discarded = months.get(key, (0, Decimal(0), Decimal(0)))
        months[key] = (sessions_in + 1, drug + cost.drug, discarded + cost.discarded)
    return ClinicCosts(
        months=tuple(MonthCost(month, currency, *values) for (month, currency), values in sorted(months.items())),
        sessions=count,
        without_price=without,
        prices=sum(1 for price in prices.values() if price.price is not None),
    )
