"""Clinic figures for neurologists: sessions per month, mean total dose per product, side-effect rates.

Counted over the CURRENT signed sessions whose visit falls in the chosen period.

- Doses: the mean (and median and range) of the session totals of ONE product, in its own units.
  There is no figure across products: their units are not interchangeable.
- Side-effect rates: a side effect is reported at a visit about the previous session, so it is
  attributed to the patient's last signed session before the reporting visit (whatever that
  session's date; the next session ends the window). The denominator is the sessions that were
  followed up, that is, with a recorded visit after them: a session nobody has asked about yet
  cannot have a reported side effect. Each rate has its Wilson 95% interval, since clinic numbers
  are small. Per muscle: the followed-up sessions that injected the muscle (either side), and how
  many of them were followed by a side effect: an association, not a cause (a session injects
  several muscles at once).

Six queries whatever the period or the size of the clinic.
"""

import math
import statistics
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from patients.models import AdverseEvent, Visit
from planner.models import FindingAcknowledgement, Injection, InjectionSession, Product
from planner.reference.formatting import amount

# The side effects shown as their own columns per muscle (the ones injected muscles are known to cause).
MUSCLE_KINDS = (AdverseEvent.Kind.DYSPHAGIA, AdverseEvent.Kind.NECK_WEAKNESS)


def wilson_interval(events, total, z=1.96):
    """The Wilson score interval for events/total, as (low, high) fractions; None when total is 0."""
    if total == 0:
        return None
    p = events / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    events: int
    total: int

    @property
    def fraction(self):
        return self.events / self.total if self.total else None

    @property
    def interval(self):
        return wilson_interval(self.events, self.total)

    @property
    def text(self):
        """'5 of 42 (12%; 95% CI 5–25%)', or 'none followed up'."""
        if not self.total:
            return "none followed up"
        low, high = self.interval
        return f"{self.events} of {self.total} ({self.fraction:.0%}; 95% CI {low:.0%}–{high:.0%})"


@dataclass(frozen=True)
class MonthCount:
    month: date
    count: int
    by_product: tuple  # (product name, count)


@dataclass(frozen=True)
class ProductDoses:
    product: Product
    sessions: int
    mean: Decimal
    median: Decimal
    lowest: Decimal
    highest: Decimal

    def _text(self, value):
        return f"{amount(value.quantize(Decimal('0.1')))} {self.product.units_label}"

    @property
    def mean_text(self):
        return self._text(self.mean)

    @property
    def median_text(self):
        return self._text(self.median)

    @property
    def range_text(self):
        return f"{amount(self.lowest)}–{amount(self.highest)} {self.product.units_label}"


@dataclass(frozen=True)
class ProductEvents:
    product: Product
    any_event: Rate
    by_kind: tuple  # (kind label, Rate), only kinds seen in the period


@dataclass(frozen=True)
class MuscleEvents:
    muscle: str
    any_event: Rate
    by_kind: tuple  # (kind label, Rate) for MUSCLE_KINDS


@dataclass(frozen=True)
class OverrideCount:
    """Off-label overrides (a limit passed with the signing neurologist's written reason) in one month."""

    month: date
    product: str
    sessions: int  # signed sessions with at least one override
    overrides: int
    codes: tuple  # (finding code, count)


@dataclass(frozen=True)
class ClinicFigures:
    date_from: date
    date_to: date
    sessions: int
    patients: int
    months: tuple
    doses: tuple
    product_events: tuple
    muscle_events: tuple
    overrides: tuple = ()  # OverrideCount per month and product, months with an override only

    @property
    def busiest_month(self):
        return max((month.count for month in self.months), default=0)


def _months(date_from, date_to):
    months = []
    year, month = date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def clinic_figures(*, date_from, date_to):
    sessions = list(
        InjectionSession.objects.current()
        .filter(visit__date__gte=date_from, visit__date__lte=date_to)
        .annotate(total=Sum("injections__dose"))
        .values("pk", "product_id", "visit__patient_id", "visit__date", "total")
    )
    products = {product.pk: product for product in Product.objects.filter(pk__in={s["product_id"] for s in sessions})}
    patient_ids = {s["visit__patient_id"] for s in sessions}

    # Every later session of these patients ends a window, whatever its date: load them all from date_from.
    later = (
        InjectionSession.objects.current()
        .filter(visit__patient_id__in=patient_ids, visit__date__gte=date_from)
        .values_list("visit__patient_id", "visit__date", "pk")
    )
    timeline = {}
    for patient_id, day, pk in sorted(later):
        timeline.setdefault(patient_id, ([], []))
        timeline[patient_id][0].append(day)
        timeline[patient_id][1].append(pk)

    def session_before(patient_id, day):
        days, pks = timeline.get(patient_id, ((), ()))
        index = bisect_left(days, day) - 1
        return pks[index] if index >= 0 else None

    followed_up = set()
    recorded = Visit.objects.filter(patient_id__in=patient_ids, date__gt=date_from).exclude(
        status=Visit.Status.SCHEDULED
    )
    for patient_id, day in recorded.values_list("patient_id", "date"):
        session = session_before(patient_id, day)
        if session is not None:
            followed_up.add(session)
    kinds_after = {}  # session pk -> set of kinds reported after it
    events = AdverseEvent.objects.filter(visit__patient_id__in=patient_ids, visit__date__gt=date_from)
    for patient_id, day, kind in events.values_list("visit__patient_id", "visit__date", "kind"):
        session = session_before(patient_id, day)
        if session is not None:
            kinds_after.setdefault(session, set()).add(kind)

    in_range = {s["pk"]: s for s in sessions}
    muscles_by_session = {}
    injected = Injection.objects.filter(session_id__in=in_range).values_list("session_id", "muscle__name").distinct()
    for session_id, muscle in injected:
        muscles_by_session.setdefault(session_id, set()).add(muscle)

    return ClinicFigures(
        date_from=date_from,
        date_to=date_to,
        sessions=len(sessions),
        patients=len(patient_ids),
        months=_month_counts(sessions, products, date_from, date_to),
        doses=_doses(sessions, products),
        product_events=_product_events(sessions, products, followed_up, kinds_after),
        muscle_events=_muscle_events(muscles_by_session, followed_up, kinds_after),
        overrides=_overrides(in_range, products),
    )


def _overrides(sessions_by_pk, products):
    """Off-label overrides of the period's sessions, by month and product (one query)."""
    counts = {}
    rows = FindingAcknowledgement.objects.filter(
        session_id__in=sessions_by_pk, level=FindingAcknowledgement.Level.OVERRIDE
    ).values_list("session_id", "finding_code")
    for session_id, code in rows:
        session = sessions_by_pk[session_id]
        day = session["visit__date"]
        key = (date(day.year, day.month, 1), products[session["product_id"]].brand_name)
        entry = counts.setdefault(key, {"sessions": set(), "codes": {}})
        entry["sessions"].add(session_id)
        entry["codes"][code] = entry["codes"].get(code, 0) + 1
    return tuple(
        OverrideCount(
            month=month,
            product=product,
            sessions=len(entry["sessions"]),
            overrides=sum(entry["codes"].values()),
            codes=tuple(sorted(entry["codes"].items())),
        )
        for (month, product), entry in sorted(counts.items())
    )


def _month_counts(sessions, products, date_from, date_to):
    counts = {}
    for session in sessions:
        day = session["visit__date"]
        month = counts.setdefault(date(day.year, day.month, 1), {})
        name = products[session["product_id"]].brand_name
        month[name] = month.get(name, 0) + 1
    return tuple(
        MonthCount(month, sum(counts.get(month, {}).values()), tuple(sorted(counts.get(month, {}).items())))
        for month in _months(date_from, date_to)
    )


def _doses(sessions, products):
    totals = {}
    for session in sessions:
        if session["total"] is not None:
            totals.setdefault(session["product_id"], []).append(session["total"])
    rows = [
        ProductDoses(
            product=products[product_id],
            sessions=len(values),
            mean=sum(values, Decimal(0)) / len(values),
            median=Decimal(statistics.median(values)),
            lowest=min(values),
            highest=max(values),
        )
        for product_id, values in totals.items()
    ]
    return tuple(sorted(rows, key=lambda row: row.product.brand_name))


def _rate(sessions, kinds_after, kind=None):
    """Of ``sessions`` (pks), how many were followed by a side effect (of ``kind``, if given)."""
    return Rate(
        sum(1 for pk in sessions if (kind in kinds_after.get(pk, ()) if kind else kinds_after.get(pk))), len(sessions)
    )


def _product_events(sessions, products, followed_up, kinds_after):
    kind_labels = dict(AdverseEvent.Kind.choices)
    rows = []
    for product_id in sorted(products, key=lambda pk: products[pk].brand_name):
        followed = [s["pk"] for s in sessions if s["product_id"] == product_id and s["pk"] in followed_up]
        seen = sorted({kind for pk in followed for kind in kinds_after.get(pk, ())}, key=list(kind_labels).index)
        rows.append(
            ProductEvents(
                product=products[product_id],
                any_event=_rate(followed, kinds_after),
                by_kind=tuple((kind_labels[kind], _rate(followed, kinds_after, kind)) for kind in seen),
            )
        )
    return tuple(rows)


def _muscle_events(muscles_by_session, followed_up, kinds_after):
    kind_labels = dict(AdverseEvent.Kind.choices)
    sessions_by_muscle = {}
    for pk, muscles in muscles_by_session.items():
        if pk in followed_up:
            for muscle in muscles:
                sessions_by_muscle.setdefault(muscle, []).append(pk)
    rows = [
        MuscleEvents(
            muscle=muscle,
            any_event=_rate(pks, kinds_after),
            by_kind=tuple((kind_labels[kind], _rate(pks, kinds_after, kind)) for kind in MUSCLE_KINDS),
        )
        for muscle, pks in sessions_by_muscle.items()
    ]
    return tuple(sorted(rows, key=lambda row: (-row.any_event.total, row.muscle)))
