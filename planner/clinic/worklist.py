"""The clinic's worklist: who is due for re-injection, who is overdue, who is booked, and today's visits.

A patient is due on the date of their last signed session plus an interval:

1. a per-patient planned interval, when one is given (``planned_weeks``);
2. otherwise the minimum re-treatment interval of the product given last time, the most
   conservative labelled value (``Product.effective_limit``; Botox: 10 weeks in the EU-type label);
3. otherwise, for a product with no labelled minimum (Daxxify in the shipped data), the clinic's
   usual cycle (the ``usual_cycle_weeks`` PolicySetting, 12 weeks shipped), marked as clinic policy so
   nobody mistakes it for a label.

The earliest date is always the last session plus the labelled minimum: a booking before it is
flagged, because the plan would raise the interval safety warning. "Booked" means an open visit
(scheduled or in progress) on or after today, after the last session; a scheduled visit that went
by without being recorded is shown as missed.

At clinic scale the page stays short and useful:

- each list (overdue, due, booked) shows the most urgent ``LIST_LIMIT`` rows (most overdue, soonest due,
  earliest booking) with the true count beside it;
- a patient whose due date passed more than ``lapsed_after_days`` (a PolicySetting: a year) ago and who has no
  booking is *lapsed*, no longer "overdue for re-injection": they have most likely stopped treatment, moved
  or are treated elsewhere. They are counted apart, and the most recently lapsed are listed in a collapsed section;
- a policy setting without an active row falls back to ``planner.rules.policy.SETTING_FALLBACKS``, and the
  page says "default used" for it;
- today's visits are always listed in full.

``due_for`` and ``classify`` are pure. ``clinic_worklist`` reads ``TreatmentDue`` (each patient's last
session and due date) in a fixed number of queries whatever the size of the clinic, and loads Patient rows
only for the patients it lists. It never writes: the services that change what a row is derived from keep it,
in their own transaction: signing (``planner.plans.services.session_sign``) and correcting a visit's date
(``patients.services.visit_update``, through ``visit_date_changed``) call ``refresh_treatment_due``; a change
of a product's minimum interval in the reference data (the admin, its CSV import, ``loadreference``) calls
``resettle_due_dates``.
"""

import functools
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from patients.models import Patient, Visit
from planner.models import InjectionSession, Product, ProductLimit, Source, TreatmentDue
from planner.plans import selectors
from planner.reference import version as reference_version
from planner.reference.formatting import amount
from planner.reference.selectors import policy_values
from planner.rules.policy import PolicyValues, default_used_reason

HORIZON_CHOICES = (7, 14, 28, 56)
DEFAULT_HORIZON_DAYS = 14
# Rows listed per group; the heading gives the true count. Read at call time so tests can lower it.
LIST_LIMIT = 50
# The clinic-policy settings the worklist reads (PolicySetting codes).
SETTINGS = ("usual_cycle_weeks", "lapsed_after_days")


@dataclass(frozen=True)
class Due:
    last_session: date
    product_name: str
    due: date
    earliest: date | None  # last session + the labelled minimum; None when the label gives none
    basis: str  # why this due date, in words
    clinic_policy: bool = False
    default_used: bool = False  # the clinic's usual cycle had no setting: its fallback was used


def weeks_text(weeks):
    return f"{amount(weeks)} week{'' if Decimal(weeks) == 1 else 's'}"


def _weeks(weeks):
    return timedelta(days=math.ceil(Decimal(weeks) * 7))


def _after(day, weeks):
    return day + _weeks(weeks)


def _lapsed_after_days(policy):
    return math.ceil(policy["lapsed_after_days"])


def due_for(*, last_session, product_name, minimum_weeks=None, planned_weeks=None, policy=None):
    """When the patient is due, and why. ``minimum_weeks``: the product's labelled minimum (None: none).
    ``policy``: the clinic-policy settings (``PolicyValues``; None: none, so the fallbacks, said so)."""
    earliest = _after(last_session, minimum_weeks) if minimum_weeks is not None else None
    if planned_weeks is not None:
        basis = f"planned interval of {weeks_text(planned_weeks)}"
        return Due(last_session, product_name, _after(last_session, planned_weeks), earliest, basis)
    if minimum_weeks is not None:
        basis = f"minimum interval for {product_name}: {weeks_text(minimum_weeks)}"
        return Due(last_session, product_name, earliest, earliest, basis)
    policy = policy if policy is not None else PolicyValues()
    usual = policy["usual_cycle_weeks"]
    basis = f"clinic's usual {weeks_text(usual)}: {product_name} has no labelled minimum interval"
    return Due(
        last_session,
        product_name,
        _after(last_session, usual),
        None,
        basis,
        clinic_policy=True,
        default_used=policy.default_used("usual_cycle_weeks"),
    )


@dataclass(frozen=True)
class OpenVisit:
    """A scheduled or in-progress visit, as the worklist needs it (no model instance per open visit)."""

    pk: int
    date: date

    def get_absolute_url(self):
        return reverse("patients:visit_detail", args=[self.pk])


@dataclass
class WorklistRow:
    patient: Patient | None
    due: Due
    booked: OpenVisit | None = None
    missed: list = field(default_factory=list)  # scheduled visits after the last session that went by
    overdue_days: int = 0

    @property
    def booked_too_early(self):
        return self.booked is not None and self.due.earliest is not None and self.booked.date < self.due.earliest


def _group(*, due, booked, today, horizon_days, lapsed_after_days):
    if due > today + timedelta(days=horizon_days):
        return None
    if booked:
        return "booked"
    if due >= today:
        return "due"
    return "lapsed" if (today - due).days > lapsed_after_days else "overdue"


def classify(row, *, today, horizon_days, policy=None):
    """'booked', 'overdue', 'lapsed' (overdue by more than the ``lapsed_after_days`` setting, not booked), 'due'
    or None (not due within the horizon). ``policy``: the clinic-policy settings (None: the fallbacks)."""
    lapsed_after_days = _lapsed_after_days(policy if policy is not None else PolicyValues())
    return _group(
        due=row.due.due,
        booked=row.booked is not None,
        today=today,
        horizon_days=horizon_days,
        lapsed_after_days=lapsed_after_days,
    )


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
    """Each list holds at most ``limit`` rows, most urgent first; ``totals`` counts every patient in each group."""

    today: date
    horizon_days: int
    overdue: list
    due: list
    booked: list
    today_visits: list
    lapsed: list = field(default_factory=list)  # most recently lapsed first
    totals: dict = field(default_factory=dict)  # {"overdue": n, "due": n, "booked": n, "lapsed": n}
    limit: int = LIST_LIMIT
    policy: PolicyValues = field(default_factory=PolicyValues)  # the clinic-policy settings it used

    @property
    def horizon_end(self):
        return self.today + timedelta(days=self.horizon_days)

    def patient_ids(self):
        """Every patient the lists show (rows and today's visits)."""
        rows = [*self.overdue, *self.due, *self.booked, *self.lapsed]
        return [row.patient.pk for row in rows if row.patient is not None] + [
            item.visit.patient_id for item in self.today_visits
        ]

    @property
    def lapsed_after_days(self):
        return _lapsed_after_days(self.policy)

    @property
    def usual_cycle_weeks(self):
        return weeks_text(self.policy["usual_cycle_weeks"])

    @property
    def lapsed_before(self):
        """Due before this date and not booked: lapsed."""
        return self.today - timedelta(days=self.lapsed_after_days)

    @property
    def defaults_used(self):
        """A sentence per setting the worklist read that has no active row: its fallback was used."""
        return [default_used_reason(code) for code in SETTINGS if self.policy.default_used(code)]


def _minimum_intervals():
    """{product id: (name, labelled minimum weeks or None)} for every product, in three queries."""
    limits = ProductLimit.objects.filter(kind=ProductLimit.Kind.MIN_INTERVAL_WEEKS).prefetch_related(
        Prefetch("sources", queryset=Source.objects.only("id", "code"))
    )
    products = Product.objects.prefetch_related(Prefetch("limits", queryset=limits))
    return {
        product.pk: (product.brand_name, product.effective_limit(ProductLimit.Kind.MIN_INTERVAL_WEEKS).value)
        for product in products
    }


def _today_visits(today):
    """Today's visits with how far each has got, in one query (the states as EXISTS, no rows loaded for them)."""
    from patients.models import PostureAssessment, TwstrsAssessment

    sessions = InjectionSession.objects.filter(visit=OuterRef("pk"))
    visits = (
        Visit.objects.filter(date=today, patient__active=True)
        .annotate(
            assessed=Exists(PostureAssessment.objects.filter(visit=OuterRef("pk"))),
            twstrs_recorded=Exists(TwstrsAssessment.objects.filter(visit=OuterRef("pk"))),
            signed=Exists(sessions.filter(status=InjectionSession.Status.SIGNED)),
            drafted=Exists(sessions),
        )
        .select_related("patient")
        .only("pk", "date", "status", "patient__mrn", "patient__family_name", "patient__given_name")
        .order_by("patient__search_key", "pk")
    )
    return [
        TodayVisit(
            visit=visit,
            assessed=visit.assessed,
            twstrs_recorded=visit.twstrs_recorded,
            plan="signed" if visit.signed else "draft" if visit.drafted else "none",
        )
        for visit in visits
    ]


def latest_current_sessions(patient_ids=None):
    """Each patient's latest current signed session (latest visit date, then latest session), as
    ``(patient id, session id, visit date, product id, planned interval weeks)``, in one query; all patients,
    or those in ``patient_ids``.

    A window function ranks each patient's current sessions; the outer query keeps rank 1 (Django wraps
    the filter on the window in a subquery on SQLite and PostgreSQL alike).

    "Current" is ``InjectionSession.objects.current()`` (signed, not replaced by a signed amendment).
    """
    sessions = InjectionSession.objects.current()
    if patient_ids is not None:
        sessions = sessions.filter(visit__patient_id__in=patient_ids)
    return (
        sessions.annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("visit__patient_id"),
                order_by=[F("visit__date").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .order_by()
        .values_list("visit__patient_id", "pk", "visit__date", "product_id", "planned_interval_weeks")
    )


def _delay_days(delays, product_id, planned):
    """Days from the last session to the due date: the planned interval, else the product's default."""
    return planned * 7 if planned is not None else delays[product_id]


def _treatment_due(delays, patient_id, session_id, last_session, product_id, planned):
    delay = _delay_days(delays, product_id, planned)
    return TreatmentDue(
        patient_id=patient_id,
        session_id=session_id,
        last_session=last_session,
        product_id=product_id,
        planned_interval_weeks=planned,
        delay_days=delay,
        due=last_session + timedelta(days=delay),
    )


@transaction.atomic
def refresh_treatment_due(patient_ids):
    """Rebuild these patients' ``TreatmentDue`` rows from their sessions (after a signing or a visit change)."""
    patient_ids = set(patient_ids)
    delays = _default_delays(_minimum_intervals(), policy_values())
    latest = {row[0]: _treatment_due(delays, *row) for row in latest_current_sessions(patient_ids)}
    TreatmentDue.objects.filter(patient_id__in=patient_ids - latest.keys()).delete()
    TreatmentDue.objects.bulk_create(
        latest.values(),
        update_conflicts=True,
        unique_fields=["patient"],
        update_fields=["session", "last_session", "product", "planned_interval_weeks", "delay_days", "due"],
    )


def visit_date_changed(visit):
    """Registered with patients.services (patients never imports planner): a corrected visit date can change
    which session is the patient's last. Only a visit with a signed session can (one query otherwise)."""
    if InjectionSession.objects.signed().filter(visit=visit).exists():
        refresh_treatment_due([visit.patient_id])


@transaction.atomic
def rebuild_treatment_due():
    """Rebuild every patient's row (after bulk loads that bypass the services, such as the demo seed)."""
    delays = _default_delays(_minimum_intervals(), policy_values())
    TreatmentDue.objects.all().delete()
    rows = (_treatment_due(delays, *row) for row in latest_current_sessions())
    TreatmentDue.objects.bulk_create(rows, batch_size=2000)


def _default_delays(intervals, policy):
    """{product id: days from the last session to the due date when no interval was planned}; ``policy``: the
    clinic-policy settings (the usual cycle, for a product without a labelled minimum)."""
    usual = policy["usual_cycle_weeks"]
    return {
        product_id: _weeks(minimum if minimum is not None else usual).days
        for product_id, (_name, minimum) in intervals.items()
    }


@transaction.atomic
def resettle_due_dates():
    """After a change to the reference data: the due dates that followed a product's minimum interval follow
    its new value, and those that followed the clinic's usual cycle follow that setting. Five queries when
    nothing changed. Returns how many rows moved."""
    return settle_due_dates(_default_delays(_minimum_intervals(), policy_values()))


def settle_due_dates(delays):
    """Work out again the due date of every row whose product's interval has changed since it was worked out
    (an admin edited the reference data), or that has none (rows filled by the migration).

    One query when nothing changed, the usual case. ``delays``: ``_default_delays`` of every product.
    """
    current = Q()
    for product_id, days in delays.items():
        current |= Q(product_id=product_id, delay_days=days)
    stale = TreatmentDue.objects.filter(
        Q(delay_days__isnull=True) | (Q(planned_interval_weeks__isnull=True) & ~current)
    )
    changed = []
    for row in stale.only("pk", "last_session", "product_id", "planned_interval_weeks"):
        row.delay_days = _delay_days(delays, row.product_id, row.planned_interval_weeks)
        row.due = row.last_session + timedelta(days=row.delay_days)
        changed.append(row)
    TreatmentDue.objects.bulk_update(changed, ["delay_days", "due"], batch_size=2000)
    return len(changed)


def _missed_visits(rows, today):
    """{patient id: [OpenVisit]}: scheduled visits after the last session that went by unrecorded."""
    last_sessions = {row.patient_id: row.last_session for row in rows}
    missed = {}
    visits = (
        Visit.objects.filter(patient_id__in=list(last_sessions), status=Visit.Status.SCHEDULED, date__lt=today)
        .order_by("date", "pk")
        .values_list("patient_id", "pk", "date")
    )
    for patient_id, pk, day in visits:
        if day > last_sessions[patient_id]:
            missed.setdefault(patient_id, []).append(OpenVisit(pk, day))
    return missed


def clinic_worklist(*, today, horizon_days=DEFAULT_HORIZON_DAYS, limit=None):
    """The worklist as of ``today``. ``limit``: rows per group (default ``LIST_LIMIT``).

    Eleven queries whatever the size of the clinic, none of them over the sessions, and no writes: the
    clinic-policy settings (one), the products' minimum intervals (three), the counts per group (one), each
    group's most urgent rows with their patients (four), the missed bookings of the listed patients (one),
    and today's visits with how far each has got (one). ``TreatmentDue`` holds each patient's last session
    and due date, indexed by the due date; the booking is looked up per row in the open visits.
    """
    limit = LIST_LIMIT if limit is None else limit
    policy = policy_values()
    intervals = _minimum_intervals()

    # The booking: the first open visit after the last session, from today on. Looked up per row as a
    # scalar subquery through the (patient, date) index: as EXISTS, PostgreSQL underestimated the open
    # visits and scanned all of them once per row (32 ms against 1 ms).
    first_booking = Visit.objects.filter(
        patient_id=OuterRef("patient_id"),
        status__in=[Visit.Status.SCHEDULED, Visit.Status.IN_PROGRESS],
        date__gt=OuterRef("last_session"),
        date__gte=today,
    ).order_by("date", "pk")
    lapsed_before = today - timedelta(days=_lapsed_after_days(policy))
    in_window = TreatmentDue.objects.filter(
        patient__active=True, due__lte=today + timedelta(days=horizon_days)
    ).annotate(booked_on=Subquery(first_booking.values("date")[:1]))
    not_booked = in_window.filter(booked_on__isnull=True)
    groups = {
        "overdue": not_booked.filter(due__lt=today, due__gte=lapsed_before).order_by("due", "patient__search_key"),
        "due": not_booked.filter(due__gte=today).order_by("due", "patient__search_key"),
        "booked": in_window.filter(booked_on__isnull=False)
        .annotate(booked_visit=Subquery(first_booking.values("pk")[:1]))
        .order_by("booked_on", "patient__search_key"),
        "lapsed": not_booked.filter(due__lt=lapsed_before).order_by("-due", "patient__search_key"),
    }
    # Counted by group in one pass; the booking is looked up once per row (a FILTER per group repeated it).
    group_of = Case(
        When(booked_on__isnull=False, then=Value("booked")),
        When(due__gte=today, then=Value("due")),
        When(due__gte=lapsed_before, then=Value("overdue")),
        default=Value("lapsed"),
    )
    counts = dict(in_window.annotate(group=group_of).order_by().values_list("group").annotate(Count("pk")))
    shown = {name: list(rows.select_related("patient")[:limit]) for name, rows in groups.items()}
    missed = _missed_visits([row for rows in shown.values() for row in rows], today)

    def row(item):
        name, minimum = intervals[item.product_id]
        due = due_for(
            last_session=item.last_session,
            product_name=name,
            minimum_weeks=minimum,
            planned_weeks=item.planned_interval_weeks,
            policy=policy,
        )
        return WorklistRow(
            patient=item.patient,
            due=due,
            booked=OpenVisit(item.booked_visit, item.booked_on) if item.booked_on else None,
            missed=missed.get(item.patient_id, []),
            overdue_days=max((today - item.due).days, 0),
        )

    return Worklist(
        today=today,
        horizon_days=horizon_days,
        overdue=[row(item) for item in shown["overdue"]],
        due=[row(item) for item in shown["due"]],
        booked=[row(item) for item in shown["booked"]],
        lapsed=[row(item) for item in shown["lapsed"]],
        totals={name: counts.get(name, 0) for name in groups},
        limit=limit,
        today_visits=_today_visits(today),
        policy=policy,
    )


@functools.cache
def _revision_sql():
    from patients.models import PostureAssessment, TwstrsAssessment
    from planner.models import ReferenceVersion

    # Everything the worklist shows comes from these tables (TreatmentDue is derived from sessions and
    # visits), and each keeps a history row per change; the due dates also follow the products' limits,
    # whose changes the reference version counts.
    models = (Patient, Visit, PostureAssessment, TwstrsAssessment, InjectionSession)
    history = selectors.newest_history_ids_sql(model.history.model for model in models)
    quote = connection.ops.quote_name
    reference = (
        f"(SELECT {quote('value')} FROM {quote(ReferenceVersion._meta.db_table)} "
        f"WHERE {quote(ReferenceVersion._meta.pk.column)} = {reference_version.ROW})"
    )
    return f"{history}, {reference}"


def revision():
    """The newest history id of every clinical table the worklist reads and the reference version, in one
    query, as a string fit for any cache key ("12.40.0.7.31.5"): it changes with any change to what the
    worklist shows, so it keys the view's cache of the rendered lists."""
    return ".".join(str(number or 0) for number in selectors.newest_history_ids(_revision_sql()))
