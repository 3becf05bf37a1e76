"""Reads. Each selector loads what its page needs in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import dateformat, timezone

from patients import dysphagia, posture, scoring
from patients.chart import fragment_key, visit_summaries
from patients.models import (
    AdverseEvent,
    Patient,
    PostureAssessment,
    PostureComponent,
    TsuiAssessment,
    TwstrsAssessment,
    Visit,
    VisitOutcome,
)
from patients.text import mrn_is_valid, normalise_mrn, search_terms
from patients.trend import TrendPoint, trend_chart

PATIENTS_PER_PAGE = 25


def patient_search(*, query="", include_inactive=False):
    """Patients matching every word of ``query`` (names or MRN, any case or accents), by name.

    A query that is an MRN typed with other separators ("ab-123 456") also finds the MRN by prefix.
    """
    patients = Patient.objects.all()
    if not include_inactive:
        patients = patients.filter(active=True)
    terms = search_terms(query)
    if terms:
        words = Q()
        for term in terms:
            words &= Q(search_key__contains=term)
        mrn = normalise_mrn(query)
        if mrn_is_valid(mrn):
            words |= Q(mrn__startswith=mrn)
        patients = patients.filter(words)
        if max(len(term) for term in terms) >= 3:
            # A word of three letters or more is looked up in the trigram index, which finds the few
            # matches at once: sort just those. (Ordered by the bare column, PostgreSQL would rather walk
            # the name index from "a" and test every name until the page is full: a name's matches sit
            # together under its own letter, so "muller" took 11 ms instead of 1.) search_key is already
            # lower case, so Lower() changes the plan and not the order.
            return patients.order_by(Lower("search_key"), "pk")
    # No word, or only one- and two-letter ones, matches much of the clinic: walking the name index in
    # order fills the page after a few rows.
    return patients.order_by("search_key", "pk")


@dataclass(frozen=True)
class PatientRow:
    """One line of the patient list, its values formatted once in Python (cheaper than template filters)."""

    url: str
    name: str  # "MÜLLER, Zoë"
    mrn: str
    born: str  # "01 Feb 1970 (56 y)"
    sex: str
    active: bool
    toxin_naive: bool


# What a patient list row shows; the search's page query loads no other column.
PATIENT_ROW_FIELDS = ("pk", "mrn", "family_name", "given_name", "date_of_birth", "sex", "active", "toxin_naive")


def patient_rows(patients):
    """The rows of a page of ``patient_search`` (loaded with ``.only(*PATIENT_ROW_FIELDS)``)."""
    today = timezone.localdate()
    chart_url = reverse("patients:patient_chart", args=[_PK])
    return [
        PatientRow(
            url=chart_url.replace(str(_PK), str(patient.pk)),
            name=f"{patient.family_name.upper()}, {patient.given_name}",
            mrn=patient.mrn,
            born=f"{dateformat.format(patient.date_of_birth, 'd M Y')} ({patient.age_on(today)} y)",
            sex=patient.get_sex_display(),
            active=patient.active,
            toxin_naive=patient.toxin_naive,
        )
        for patient in patients
    ]


def patient_by_mrn(mrn):
    """The patient with this MRN however it was typed, or None."""
    return Patient.objects.filter(mrn=normalise_mrn(mrn)).first()


def visit_with_records(queryset=None):
    """Visits with everything recorded at them, in four queries however many visits there are."""
    queryset = Visit.objects.all() if queryset is None else queryset
    return queryset.select_related(
        "patient", "recorded_by", "booked_by", "posture_assessment", "twstrs", "tsui", "outcome"
    ).prefetch_related("posture_assessment__components", "adverse_events")


def _one_to_one(visit, name, model):
    try:
        return getattr(visit, name)
    except model.DoesNotExist:
        return None


@dataclass
class VisitRecord:
    """One visit and what was recorded at it, with the scores computed (never typed)."""

    visit: Visit
    posture: PostureAssessment | None
    findings: list | None  # None: no posture assessment yet
    twstrs_record: TwstrsAssessment | None
    tsui_record: TsuiAssessment | None
    outcome: VisitOutcome | None
    adverse_events: list
    twstrs: scoring.ScaleResult | None
    tsui: scoring.ScaleResult | None
    extra: list = field(default_factory=list)  # HTML from patients.chart providers
    card_key: str = ""  # the cache key of the chart's card for this visit: what it shows (set by patient_chart)

    @property
    def posture_summary(self):
        if self.findings is None:
            return ""
        return posture.summary(self.findings) or "no abnormal posture"

    @property
    def twstrs_from_posture(self):
        return scoring.twstrs_from_posture(self.findings)

    @property
    def red_flags(self):
        return [event for event in self.adverse_events if event.is_red_flag]


def visit_record(visit):
    """Assemble a VisitRecord from a visit loaded with visit_with_records (no further queries)."""
    assessment = _one_to_one(visit, "posture_assessment", PostureAssessment)
    findings = assessment.findings() if assessment else None
    return _visit_record(visit, findings, list(visit.adverse_events.all()))


def _visit_record(visit, findings, adverse_events):
    """A VisitRecord from a visit with its one-to-one records loaded, and its findings and side effects."""
    twstrs_record = _one_to_one(visit, "twstrs", TwstrsAssessment)
    tsui_record = _one_to_one(visit, "tsui", TsuiAssessment)
    twstrs = tsui = None
    if twstrs_record:
        twstrs = scoring.twstrs_score({**scoring.twstrs_from_posture(findings), **twstrs_record.typed_items()})
    if tsui_record:
        tsui = scoring.tsui_score({**scoring.tsui_from_posture(findings), **tsui_record.typed_items()})
    return VisitRecord(
        visit=visit,
        posture=_one_to_one(visit, "posture_assessment", PostureAssessment),
        findings=findings,
        twstrs_record=twstrs_record,
        tsui_record=tsui_record,
        outcome=_one_to_one(visit, "outcome", VisitOutcome),
        adverse_events=adverse_events,
        twstrs=twstrs,
        tsui=tsui,
    )


def visit_record_get(pk):
    """The VisitRecord for one visit (the visit page); raises Visit.DoesNotExist.

    Four queries rather than visit_with_records' three: PostgreSQL takes longer to plan its eight-table
    join (about 1.5 ms) than to run this six-table one, the query for who booked and recorded the visit,
    and the two for its posture components and side effects together.
    """
    visit = Visit.objects.select_related("patient", "posture_assessment", "twstrs", "tsui", "outcome").get(pk=pk)
    users = get_user_model().objects.in_bulk({visit.recorded_by_id, visit.booked_by_id} - {None})
    visit.recorded_by, visit.booked_by = users.get(visit.recorded_by_id), users.get(visit.booked_by_id)
    findings = None
    if _one_to_one(visit, "posture_assessment", PostureAssessment) is not None:
        components = PostureComponent.objects.filter(assessment__visit=visit).order_by("pk")
        findings = posture.ordered(
            posture.Finding(code=code, direction=direction, severity=severity)
            for code, direction, severity in components.values_list("code", "direction", "severity")
        )
    events = list(AdverseEvent.objects.filter(visit=visit).order_by("pk"))
    for event in events:
        event.visit = visit
    return _visit_record(visit, findings, events)


def twstrs_for_visit(visit):
    """The TWSTRS result for a visit as it is stored now (used by services and tests)."""
    visit = visit_with_records().get(pk=visit.pk)
    return visit_record(visit).twstrs


def tsui_for_visit(visit):
    visit = visit_with_records().get(pk=visit.pk)
    return visit_record(visit).tsui


@dataclass(frozen=True)
class Alert:
    level: str  # "danger" (breathing difficulty, severe dysphagia) or "warning"
    title: str
    text: str
    icon: str  # a text symbol shown beside the title: the alert never relies on colour alone


def has_prior_dysphagia(patient, adverse_events):
    """Dysphagia at baseline or reported after any session (patients.dysphagia). Pure: no queries."""
    return dysphagia.has_prior_dysphagia(
        patient.baseline_swallowing, ((event.kind, event.dysphagia_grade) for event in adverse_events)
    )


def patient_has_prior_dysphagia(patient, *, before=None):
    """Whether the patient has had dysphagia (patients.dysphagia): impaired baseline swallowing, or a
    dysphagia side effect of any grade but 0 reported at any visit (on or before ``before``, a date, if given).
    """
    if patient.baseline_dysphagia:
        return True
    # exclude() keeps a grade not recorded (NULL): it counts, as in dysphagia.dysphagia_reported.
    events = AdverseEvent.objects.filter(visit__patient=patient, kind=AdverseEvent.Kind.DYSPHAGIA).exclude(
        dysphagia_grade=0
    )
    if before is not None:
        events = events.filter(visit__date__lte=before)
    return events.exists()


def _grade(event):
    return event.dysphagia_grade if event.dysphagia_grade is not None else "not recorded"


def chart_alerts(patient, records):
    """Red flags first (breathing difficulty, severe dysphagia), then other severe events, then
    prior dysphagia. ``records`` are VisitRecords; no queries."""
    alerts = []
    events = [(record.visit, event) for record in records for event in record.adverse_events]
    for visit, event in events:
        if event.is_red_flag:
            detail = f"grade {event.dysphagia_grade}" if event.is_dysphagia else event.get_severity_display().lower()
            alerts.append(
                Alert(
                    "danger",
                    f"{event.get_kind_display()}",
                    f"Reported at the visit of {visit.date:%d %b %Y} ({detail}) after the previous session. "
                    "Review before injecting again.",
                    "⚠",
                )
            )
    for visit, event in events:
        if event.severity == AdverseEvent.Severity.SEVERE and not event.is_red_flag:
            alerts.append(
                Alert(
                    "warning",
                    f"Severe {event.kind_label.lower()}",
                    f"Reported at the visit of {visit.date:%d %b %Y}.",
                    "!",
                )
            )
    if has_prior_dysphagia(patient, [event for _, event in events]):
        reasons = []
        if patient.baseline_dysphagia:
            reasons.append(f"baseline swallowing: {patient.get_baseline_swallowing_display().lower()}")
        reasons += [
            f"grade {_grade(event)} at the visit of {visit.date:%d %b %Y}"
            for visit, event in events
            if dysphagia.dysphagia_reported(event.kind, event.dysphagia_grade)
        ]
        text = "; ".join(reasons)
        alerts.append(Alert("warning", "Prior dysphagia", f"{text[0].upper()}{text[1:]}.", "!"))
    return alerts


@dataclass
class Chart:
    patient: Patient
    records: list
    alerts: list
    trend: object
    prior_dysphagia: bool

    @property
    def latest_twstrs(self):
        return next((record for record in self.records if record.twstrs), None)


_PK = 987654321  # stands for the id in a reversed URL: reverse once, then substitute each id


def card_key(record):
    """The cache key of everything the chart's card for this visit shows (see
    patient_chart.visit_cards): the card is rendered again only when one of these changes."""
    visit, user = record.visit, record.visit.recorded_by
    shown = (
        visit.pk,
        visit.date,
        visit.status,
        (user.get_full_name(), user.get_username()) if user else None,
        record.findings,
        *(
            (result.total, result.maximum, result.complete, result.status) if result else None
            for result in (record.twstrs, record.tsui)
        ),
        (record.outcome.pain_now, record.outcome.pgic) if record.outcome else None,
        tuple(
            (event.kind, event.other_kind, event.severity, event.dysphagia_grade, event.onset_days, event.duration_days)
            for event in record.adverse_events
        ),
        tuple(str(html) for html in record.extra),
    )
    return fragment_key("patients:visit-card", shown)


def _chart_records(patient):
    """The patient's VisitRecords, newest first, in three queries: what visit_with_records loads, without
    what the chart has or does not show (the patient, who booked each visit; PostgreSQL takes about 5 ms
    to plan that eight-table join and about 1 ms for this six-table one), and with the posture components
    and side effects of all visits read in one query each and grouped here: prefetch_related's per-visit
    managers and querysets cost more than the queries."""
    visits = list(
        Visit.objects.filter(patient=patient)
        .select_related("recorded_by", "posture_assessment", "twstrs", "tsui", "outcome")
        .order_by("-date", "-pk")
    )
    findings = defaultdict(list)
    components = (
        PostureComponent.objects.filter(assessment__visit__patient=patient)
        .order_by("pk")
        .values_list("assessment__visit_id", "code", "direction", "severity")
    )
    for visit_id, code, direction, severity in components:
        findings[visit_id].append(posture.Finding(code=code, direction=direction, severity=severity))
    by_visit = {visit.pk: visit for visit in visits}
    events = defaultdict(list)
    for event in AdverseEvent.objects.filter(visit__patient=patient).order_by("pk"):
        event.visit = by_visit[event.visit_id]
        events[event.visit_id].append(event)
    records = []
    for visit in visits:
        visit.patient = patient
        has_posture = _one_to_one(visit, "posture_assessment", PostureAssessment) is not None
        visit_findings = posture.ordered(findings[visit.pk]) if has_posture else None
        records.append(_visit_record(visit, visit_findings, events[visit.pk]))
    return records


def patient_chart(*, patient):
    """Everything the chart shows, in a fixed number of queries (four, plus what the providers need)."""
    records = _chart_records(patient)
    visits = [record.visit for record in records]
    extras = visit_summaries(visits)
    for record in records:
        record.extra = extras.get(record.visit.pk, [])
        record.card_key = card_key(record)
    trend = trend_chart(
        [
            TrendPoint(record.visit.date, record.twstrs.total, record.twstrs.complete)
            for record in records
            if record.twstrs and not record.twstrs.empty
        ]
    )
    events = [event for record in records for event in record.adverse_events]
    return Chart(
        patient=patient,
        records=records,
        alerts=chart_alerts(patient, records),
        trend=trend,
        prior_dysphagia=has_prior_dysphagia(patient, events),
    )


def previous_visit(visit):
    """The patient's visit before this one (by date), or None."""
    return (
        Visit.objects.filter(patient_id=visit.patient_id)
        .filter(Q(date__lt=visit.date) | Q(date=visit.date, pk__lt=visit.pk))
        .order_by("-date", "-pk")
        .first()
    )
