"""The clinic's worklist: who is due for re-injection, who is overdue, who is booked, and today's visits.

A patient is due on the date of their last signed session plus an interval:

1. a per-patient planned interval, when one is given (``planned_weeks``);
2. otherwise the minimum re-treatment interval of the product given last time, the most
   conservative labelled value (``Product.effective_limit``; Botox: 10 weeks in the EU-type label);
3. otherwise, for a product with no labelled minimum (Daxxify in the shipped data), the clinic's
   usual cycle of ``USUAL_CYCLE_WEEKS``, marked as clinic policy so nobody mistakes it for a label.

The earliest date is always the last session plus the labelled minimum: a booking before it is
flagged, because the plan would raise the interval safety warning. "Booked" means an open visit
(scheduled or in progress) on or after today, after the last session; a scheduled visit that went
by without being recorded is shown as missed.

``due_for`` and ``classify`` are pure; ``clinic_worklist`` reads the database in a fixed number of
queries whatever the size of the clinic.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Subquery

from patients.models import Patient, Visit
from planner.models import InjectionSession, Product, ProductLimit, Source
from planner.reference.formatting import amount

# Not from a label: what this clinic plans when a product states no minimum interval.
USUAL_CYCLE_WEEKS = 12
HORIZON_CHOICES = (7, 14, 28, 56)
DEFAULT_HORIZON_DAYS = 14


@dataclass(frozen=True)
class Due:
    last_session: date
    product_name: str
    due: date
    earliest: date | None  # last session + the labelled minimum; None when the label gives none
    basis: str  # why this due date, in words
    clinic_policy: bool = False


def weeks_text(weeks):
    return f"{amount(weeks)} week{'' if Decimal(weeks) == 1 else 's'}"


def _after(day, weeks):
    return day + timedelta(days=math.ceil(Decimal(weeks) * 7))


def due_for(*, last_session, product_name, minimum_weeks=None, planned_weeks=None):
    """When the patient is due, and why. ``minimum_weeks``: the product's labelled minimum (None: none)."""
    earliest = _after(last_session, minimum_weeks) if minimum_weeks is not None else None
    if planned_weeks is not None:
        basis = f"planned interval of {weeks_text(planned_weeks)}"
        return Due(last_session, product_name, _after(last_session, planned_weeks), earliest, basis)
    if minimum_weeks is not None:
        basis = f"minimum interval for {product_name}: {weeks_text(minimum_weeks)}"
        return Due(last_session, product_name, earliest, earliest, basis)
    basis = f"clinic's usual {weeks_text(USUAL_CYCLE_WEEKS)}: {product_name} has no labelled minimum interval"
    return Due(last_session, product_name, _after(last_session, USUAL_CYCLE_WEEKS), None, basis, clinic_policy=True)


@dataclass
class WorklistRow:
    patient: Patient
    due: Due
    booked: Visit | None = None
    missed: list = field(default_factory=list)  # scheduled visits after the last session that went by
    overdue_days: int = 0

    @property
    def booked_too_early(self):
        return self.booked is not None and self.due.earliest is not None and self.booked.date < self.due.earliest


def classify(row, *, today, horizon_days):
    """'booked', 'overdue', 'due' or None (not due within the horizon)."""
    if row.due.due > today + timedelta(days=horizon_days):
        return None
    if row.booked is not None:
        return "booked"
    return "overdue" if row.due.due < today else "due"


@dataclass
class TodayVisit:
    visit: Visit
    assessed: bool  # posture assessment recorded
    twstrs_recorded: bool
    plan: str  # "none", "draft", "signed"

    @property
    def plan_text(self):
        return {"none": "no plan yet", "draft": "plan drafted, not signed", "signed": "signed"}[self.plan]


@dataclass
class Worklist:
    today: date
    horizon_days: int
    overdue: list
    due: list
    booked: list
    today_visits: list

    @property
    def horizon_end(self):
        return self.today + timedelta(days=self.horizon_days)


def _minimum_intervals(product_ids):
    """{product id: (name, labelled minimum weeks or None)} in three queries."""
    limits = ProductLimit.objects.filter(kind=ProductLimit.Kind.MIN_INTERVAL_WEEKS).prefetch_related(
        Prefetch("sources", queryset=Source.objects.only("id", "code"))
    )
    products = Product.objects.filter(pk__in=product_ids).prefetch_related(Prefetch("limits", queryset=limits))
    return {
        product.pk: (product.brand_name, product.effective_limit(ProductLimit.Kind.MIN_INTERVAL_WEEKS).value)
        for product in products
    }


def _today_visits(today):
    visits = (
        Visit.objects.filter(date=today, patient__active=True)
        .select_related("patient", "posture_assessment", "twstrs")
        .prefetch_related(
            Prefetch(
                "injection_sessions", queryset=InjectionSession.objects.only("id", "visit_id", "status", "amends_id")
            )
        )
        .order_by("patient__search_key", "pk")
    )
    rows = []
    for visit in visits:
        sessions = list(visit.injection_sessions.all())
        if any(session.status == InjectionSession.Status.SIGNED for session in sessions):
            plan = "signed"
        elif sessions:
            plan = "draft"
        else:
            plan = "none"
        rows.append(
            TodayVisit(
                visit=visit,
                assessed=hasattr(visit, "posture_assessment"),
                twstrs_recorded=hasattr(visit, "twstrs"),
                plan=plan,
            )
        )
    return rows


def clinic_worklist(*, today, horizon_days=DEFAULT_HORIZON_DAYS, planned_weeks=None):
    """The worklist as of ``today``. ``planned_weeks``: {patient id: weeks} overriding the interval planned
    at the last signing (``InjectionSession.planned_interval_weeks``).

    Six queries: active patients with their last current session, the products' minimum intervals
    (three), the open visits, and today's visits with their plans (two).
    """
    planned_weeks = planned_weeks or {}
    last = InjectionSession.objects.current().filter(visit__patient=OuterRef("pk")).order_by("-visit__date", "-pk")
    patients = list(
        Patient.objects.filter(active=True)
        .annotate(
            last_session_date=Subquery(last.values("visit__date")[:1]),
            last_product_id=Subquery(last.values("product_id")[:1]),
            last_planned_weeks=Subquery(last.values("planned_interval_weeks")[:1]),
        )
        .filter(last_session_date__isnull=False)
    )
    intervals = _minimum_intervals({patient.last_product_id for patient in patients}) if patients else {}
    rows = {}
    for patient in patients:
        name, minimum = intervals[patient.last_product_id]
        due = due_for(
            last_session=patient.last_session_date,
            product_name=name,
            minimum_weeks=minimum,
            planned_weeks=planned_weeks.get(patient.pk, patient.last_planned_weeks),
        )
        rows[patient.pk] = WorklistRow(patient=patient, due=due)

    open_visits = Visit.objects.filter(
        patient__active=True, status__in=[Visit.Status.SCHEDULED, Visit.Status.IN_PROGRESS]
    ).order_by("date", "pk")
    for visit in open_visits.only("id", "patient_id", "date", "status"):
        row = rows.get(visit.patient_id)
        if row is None or visit.date <= row.due.last_session:
            continue
        if visit.date >= today:
            row.booked = row.booked or visit
        elif visit.status == Visit.Status.SCHEDULED:
            row.missed.append(visit)

    groups = {"overdue": [], "due": [], "booked": []}
    for row in rows.values():
        group = classify(row, today=today, horizon_days=horizon_days)
        if group:
            row.overdue_days = max((today - row.due.due).days, 0)
            groups[group].append(row)
    groups["overdue"].sort(key=lambda row: (row.due.due, row.patient.search_key))
    groups["due"].sort(key=lambda row: (row.due.due, row.patient.search_key))
    groups["booked"].sort(key=lambda row: (row.booked.date, row.patient.search_key))
    return Worklist(
        today=today,
        horizon_days=horizon_days,
        overdue=groups["overdue"],
        due=groups["due"],
        booked=groups["booked"],
        today_visits=_today_visits(today),
    )
