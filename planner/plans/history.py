"""A patient's treatment history: each signed session (a treatment cycle) with what followed it.

A cycle is the CURRENT record of one visit's injections (the signed session no signed amendment
replaced), its doses per muscle and side in that session's product's units, the TWSTRS measured at
its visit (before injecting), and the side effects reported afterwards. A side effect is reported
at a visit about the previous session (patients.models.AdverseEvent), so it belongs to the last
session dated strictly before the visit that reported it.

Doses are never added or compared across products: a cycle's total adds only its own rows, which
share its product, and every amount is shown with its product's units label.

The chart section, the patient summary, the FHIR export and the plan editor all read cycles from
here, in a fixed number of queries per patient:

    last_sessions_with_events(patient, before_date=visit.date, limit=3)
"""

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch

from patients.selectors import visit_record, visit_with_records
from planner.models import Injection, InjectionSession
from planner.reference.formatting import amount
from planner.rules.totals import dose_total


@dataclass(frozen=True)
class Dose:
    """One injection row: a muscle on one side, in the session's product's units."""

    injection_id: int
    muscle_code: str
    muscle_name: str
    side: str
    dose: Decimal | None
    sites: int
    guidance: str
    units_label: str

    @property
    def site_text(self):
        """'left splenius capitis'."""
        return f"{self.side} {self.muscle_name[:1].lower()}{self.muscle_name[1:]}"

    @property
    def dose_text(self):
        """'60 U Botox' (a signed session has every dose; '—' guards old data)."""
        return f"{amount(self.dose)} {self.units_label}" if self.dose is not None else "—"

    @property
    def text(self):
        return f"{self.dose_text} {self.site_text}"


@dataclass(frozen=True)
class ReportedEvent:
    """A side effect and the visit that reported it."""

    event: object  # patients.models.AdverseEvent
    reported_on: date

    @property
    def text(self):
        """'neck weakness (mild, from day 5 for 14 days)'."""
        event = self.event
        detail = event.get_severity_display().lower()
        if event.is_dysphagia:
            detail = f"grade {event.dysphagia_grade}, {detail}"
        duration = (
            "ongoing"
            if event.duration_days is None
            else f"for {event.duration_days} day{'s' if event.duration_days != 1 else ''}"
        )
        label = event.kind_label
        return f"{label[:1].lower()}{label[1:]} ({detail}, from day {event.onset_days} {duration})"


@dataclass
class Cycle:
    session: InjectionSession
    date: date
    doses: list
    twstrs: object = None  # patients.scoring.ScaleResult measured at the session's visit, or None
    events: list = field(default_factory=list)  # ReportedEvent, oldest report first
    follow_ups: int = 0  # visits after this session and up to the next one (where side effects are asked)

    @property
    def product(self):
        return self.session.product

    @property
    def units_label(self):
        return self.session.product.units_label

    @property
    def total(self):
        """The session total: its own rows only, all in its own product's units."""
        return dose_total(dose.dose for dose in self.doses)

    @property
    def total_text(self):
        return f"{amount(self.total)} {self.units_label}"

    @property
    def is_amendment(self):
        return self.session.amends_id is not None

    @property
    def red_flag(self):
        return any(reported.event.is_red_flag for reported in self.events)


def _dose(row, units_label):
    return Dose(
        injection_id=row.pk,
        muscle_code=row.muscle.code,
        muscle_name=row.muscle.name,
        side=row.side,
        dose=row.dose,
        sites=row.sites,
        guidance=row.get_guidance_display(),
        units_label=units_label,
    )


def current_sessions(queryset=None):
    """Current signed sessions with their product, visit, signer and rows (two queries)."""
    queryset = InjectionSession.objects.all() if queryset is None else queryset
    rows = Injection.objects.select_related("muscle").order_by("position", "pk")
    return (
        queryset.current()
        .select_related("visit", "product", "signed_by", "amends")
        .prefetch_related(Prefetch("injections", queryset=rows))
        .order_by("visit__date", "pk")
    )


_LOADED = "_planner_sessions"  # the attribute on each Visit that keeps its loaded sessions
# Injection.guidance labels by value, looked up once rather than per row (get_guidance_display()).
_GUIDANCE = dict(Injection._meta.get_field("guidance").flatchoices)


def visit_sessions(visits):
    """{visit_id: [session, ...] oldest first}: every session of these visits with product and doses.

    Two queries the first time, none after: the chart's two planner providers (the line per visit and
    the outcomes section) get the same Visit objects, so the result is kept on each visit for as long
    as the request holds them (never across requests). Each session's .visit is that visit object and
    its rows, in order, are in session.loaded_doses as Dose (session_doses() reads either). The rows are
    read as plain values, not model instances: a 40-visit chart has hundreds of them.
    """
    missing = [visit for visit in visits if not hasattr(visit, _LOADED)]
    if missing:
        by_visit = {visit.pk: visit for visit in missing}
        sessions = list(
            InjectionSession.objects.filter(visit_id__in=by_visit)
            .select_related("product")
            .defer("findings_at_signing")  # a JSON list per session that no history view reads
            .order_by("id")
        )
        by_session = {session.pk: session for session in sessions}
        for session in sessions:
            session.visit = by_visit[session.visit_id]
            session.loaded_doses = []
        rows = (
            Injection.objects.filter(session_id__in=by_session)
            .order_by("position", "pk")
            .values_list("session_id", "pk", "muscle__code", "muscle__name", "side", "dose", "sites", "guidance")
        )
        for session_id, pk, muscle_code, muscle_name, side, dose, sites, guidance in rows:
            session = by_session[session_id]
            session.loaded_doses.append(
                Dose(
                    injection_id=pk,
                    muscle_code=muscle_code,
                    muscle_name=muscle_name,
                    side=side,
                    dose=dose,
                    sites=sites,
                    guidance=_GUIDANCE.get(guidance, guidance),
                    units_label=session.product.units_label,
                )
            )
        for visit in missing:
            setattr(visit, _LOADED, [])
        for session in sessions:
            getattr(session.visit, _LOADED).append(session)
    return {visit.pk: getattr(visit, _LOADED) for visit in visits}


def session_rows(session):
    """The session's injection rows in order (a query, or a prefetch of ``injections``)."""
    return session.injections.all()


def session_doses(session):
    """The session's rows in order as Dose: the ones visit_sessions() loaded, else from session_rows()."""
    doses = getattr(session, "loaded_doses", None)
    if doses is None:
        doses = [_dose(row, session.product.units_label) for row in session_rows(session)]
    return doses


def current_of(sessions):
    """The current signed sessions among ``sessions`` (all of a patient's, or of one visit): in Python.

    Mirrors InjectionSessionQuerySet.current(): signed, and no signed amendment replaces it.
    """
    sessions = list(sessions)
    replaced = {session.amends_id for session in sessions if session.is_signed and session.amends_id}
    return [session for session in sessions if session.is_signed and session.pk not in replaced]


def build_cycles(sessions, records):
    """Cycles from loaded sessions and the patient's VisitRecords (patients.selectors); no queries.

    ``sessions`` come from current_sessions(); ``records`` are the patient's visits with their scores.
    Returns the cycles oldest first.
    """
    cycles = [
        Cycle(
            session=session,
            date=session.visit.date,
            doses=session_doses(session),
        )
        for session in sorted(sessions, key=lambda s: (s.visit.date, s.pk))
    ]
    by_visit = {record.visit.pk: record for record in records}
    for cycle in cycles:
        record = by_visit.get(cycle.session.visit_id)
        if record is not None and record.twstrs is not None and not record.twstrs.empty:
            cycle.twstrs = record.twstrs
    days = [cycle.date for cycle in cycles]
    for record in sorted(records, key=lambda r: (r.visit.date, r.visit.pk)):
        # The last session strictly before the reporting visit: one on the same day came after the report.
        index = bisect_left(days, record.visit.date) - 1
        if index < 0:
            continue
        cycles[index].follow_ups += 1
        cycles[index].events.extend(ReportedEvent(event, record.visit.date) for event in record.adverse_events)
    return cycles


def patient_records(patient, *, until=None):
    """The patient's VisitRecords, up to ``until`` if given (four queries, see visit_with_records)."""
    visits = patient.visits.all() if until is None else patient.visits.filter(date__lte=until)
    visits = list(visit_with_records(visits).order_by("-date", "-pk"))
    for visit in visits:
        visit.patient = patient
    return [visit_record(visit) for visit in visits]


def patient_cycles(patient, *, records=None):
    """Every cycle of the patient, oldest first. Pass ``records`` when the caller already has them."""
    if records is None:
        records = patient_records(patient)
    sessions = list(current_sessions(InjectionSession.objects.filter(visit__patient=patient)))
    return build_cycles(sessions, records)


def last_sessions_with_events(patient, before_date, limit=3, *, sessions=None):
    """The last ``limit`` cycles dated before ``before_date``, newest first, for the plan editor.

    Side effects reported up to and including ``before_date`` are attached: the nurse records them at
    the visit being planned, and they are about the last session.

    ``sessions``: the patient's current signed sessions already loaded with their visit, product and
    rows (selectors.prior_sessions), so that the editor does not load them twice; those dated on or
    after ``before_date`` are ignored.
    """
    if sessions is None:
        sessions = current_sessions(
            InjectionSession.objects.filter(visit__patient=patient, visit__date__lt=before_date)
        )
    shown = sorted((s for s in sessions if s.visit.date < before_date), key=lambda s: (s.visit.date, s.pk))
    if limit is not None:
        shown = shown[max(len(shown) - limit, 0) :]
    if not shown:
        return []
    # Visits before the oldest cycle shown can only report on older cycles: they are not loaded.
    visits = patient.visits.filter(date__gte=shown[0].visit.date, date__lte=before_date)
    visits = list(
        visit_with_records(visits)
        # Only what visit_record() reads: each join to the user table costs PostgreSQL more time to plan
        # the query (3 ms with them) than the query takes to run.
        .select_related(None)
        .select_related("posture_assessment", "twstrs", "tsui", "outcome")
        .order_by("-date", "-pk")
    )
    for visit in visits:
        visit.patient = patient
    return list(reversed(build_cycles(shown, [visit_record(visit) for visit in visits])))
