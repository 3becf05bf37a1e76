"""The signing gate (services.session_sign): nothing signs around it.

Hypothesis draws a product (all five), a plan, a history signed in any order, a preparation, a visit
date, the patient's state and the neurologist's answers, and signs through the service. Whatever it
draws, a signed session is never above the hard ceiling; never above a labeled or cumulative maximum,
inside the minimum interval or above a toxin-naive start without a stored override reason; never without
lot, expiry and dilution; never for a visit after today or an inactive patient; and its stored findings
are exactly the gate's own recomputation. The reference rows are built here with factories.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from patients.services import patient_deactivate
from planner.models import FindingAcknowledgement, InjectionSession, Muscle, Product, ProductLimit
from planner.plans import selectors, services
from planner.plans.services import _finding_record
from planner.rules.safety import Level
from tests.patients.factories import PatientFactory, VisitFactory
from tests.planner.factories_reference import DoseFactory, LimitFactory, MuscleFactory, ProductFactory, SourceFactory
from tests.planner.signing import OVERRIDE_REASON, prepare

pytestmark = pytest.mark.django_db

# code: brand, form, vial size, labeled session maximum, hard ceiling, minimum interval (weeks), SCM median
PRODUCTS = {
    "ONA": ("Botox", "powder", 100, 300, 500, 12, 50),
    "ABO": ("Dysport", "powder", 500, 1000, 1500, 12, 125),
    "INCO": ("Xeomin", "powder", 100, 300, 400, 12, 25),
    "RIMA": ("Myobloc", "solution", 5000, 5000, 25000, 12, 1000),
    "DAXI": ("Daxxify", "powder", 100, 250, 300, 12, 25),
}
MUSCLES = ("SCM", "SPLENIUS_CAPITIS", "TRAPEZIUS_UPPER")


def build_reference():
    """Five products with every limit kind the gate applies; figures for SCM and splenius capitis."""
    source = SourceFactory(code="T-GATE")
    muscles = {code: MuscleFactory(code=code, sources=[source]) for code in MUSCLES}
    for code, (brand, form, vial, session_max, ceiling, weeks, scm_median) in PRODUCTS.items():
        product = ProductFactory(
            code=code,
            brand_name=brand,
            generic_name=brand.lower(),
            form=form,
            vial_sizes=[vial],
            toxin_type="B" if code == "RIMA" else "A",
            concentration_units_per_ml=Decimal(5000) if form == "solution" else None,
            sources=[source],
        )
        kinds = ProductLimit.Kind
        LimitFactory(product=product, kind=kinds.SESSION_MAX, value=Decimal(session_max), sources=[source])
        LimitFactory(product=product, kind=kinds.HARD_CEILING, value=Decimal(ceiling), sources=[])
        LimitFactory(product=product, kind=kinds.MIN_INTERVAL_WEEKS, value=Decimal(weeks), sources=[source])
        LimitFactory(product=product, kind=kinds.NAIVE_START_DOSE, value=Decimal(session_max) / 2, sources=[source])
        if code == "ONA":
            LimitFactory(
                product=product, kind=kinds.CUMULATIVE_MAX, value=Decimal(400), period_weeks=12, sources=[source]
            )
        if form == "powder":
            LimitFactory(product=product, kind=kinds.RECONSTITUTED_USE_HOURS, value=Decimal(24), sources=[source])
        DoseFactory(
            product=product,
            muscle=muscles["SCM"],
            min_units=None,
            max_units=None,
            median_units=Decimal(scm_median),
            sources=[source],
        )
        DoseFactory(
            product=product,
            muscle=muscles["SPLENIUS_CAPITIS"],
            kind="label_table",
            min_units=Decimal(scm_median) / 2,
            max_units=Decimal(scm_median) * 2,
            sources=[source],
        )


@pytest.fixture
def reference(db):
    build_reference()


def dose(code, fraction):
    """A dose as a fraction of the product's hard ceiling: plans reach past every limit."""
    return (Decimal(PRODUCTS[code][4]) * fraction).quantize(Decimal("0.01"))


fractions = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.6"), places=2)
plan_rows = st.lists(
    st.tuples(st.sampled_from(MUSCLES), st.sampled_from(["left", "right"]), fractions),
    min_size=1,
    max_size=3,
    unique_by=lambda item: (item[0], item[1]),
)
history_sessions = st.lists(
    st.tuples(st.integers(min_value=1, max_value=200), st.sampled_from(sorted(PRODUCTS)), fractions),
    max_size=3,
    unique_by=lambda item: item[0],
)
# Weighted towards plans that can sign, so the properties about signed sessions are exercised.
answers_strategy = st.sampled_from(["all_with_reason"] * 4 + ["blank_reasons", "none", "warnings_only"])


def plan(visit, user, code, rows):
    session = services.session_start(visit=visit, acting_user=user)
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=Product.objects.get(code=code),
        default_guidance="emg",
        rows=[
            services.RowInput(Muscle.objects.get(code=muscle), side, dose(code, fraction), 2, "emg")
            for muscle, side, fraction in rows
        ],
        acting_user=user,
    )
    return session


def sign_history(patient, user, sessions, today, now):
    """Earlier sessions, signed in the order drawn (not by date), each accepted with reasons."""
    for days_ago, code, fraction in sessions:
        visit = VisitFactory(patient=patient, date=today - dt.timedelta(days=days_ago), status="in_progress")
        session = prepare(plan(visit, user, code, [("TRAPEZIUS_UPPER", "left", min(fraction, Decimal("0.5")))]), user)
        try:
            with transaction.atomic():
                answers = {
                    f.key: OVERRIDE_REASON
                    for f in selectors.session_findings(session, now=now)
                    if f.level in (Level.OVERRIDE, Level.WARNING)
                }
                services.session_sign(
                    session=session, version=session.version, acknowledgements=answers, acting_user=user, now=now
                )
        except ValidationError:
            pass  # a history session the gate refuses simply stays a draft


def answers_for(findings, how):
    if how == "none":
        return {}
    answers = {}
    for finding in findings:
        if finding.level == Level.OVERRIDE and how != "warnings_only":
            answers[finding.key] = OVERRIDE_REASON if how == "all_with_reason" else "   "
        elif finding.level == Level.WARNING:
            answers[finding.key] = ""
    answers["NO_SUCH_FINDING:gone"] = "an answer to a finding that no longer exists is ignored"
    return answers


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(sorted(PRODUCTS)),
    rows=plan_rows,
    history=history_sessions,
    preparation=st.sampled_from(["fresh"] * 4 + ["none", "stale"]),
    visit_offset=st.sampled_from([-3, 0, 0, 0, 1]),
    active=st.sampled_from([True] * 5 + [False]),
    naive=st.booleans(),
    how=answers_strategy,
)
def test_nothing_is_signed_around_the_gate(
    reference, neurologist, code, rows, history, preparation, visit_offset, active, naive, how
):
    # A patient has one visit a day: an earlier session on the visit's day is not a case to draw.
    assume(all(days_ago != -visit_offset for days_ago, _code, _fraction in history))
    now = timezone.now()
    today = timezone.localdate(now)
    patient = PatientFactory(toxin_naive=naive)
    sign_history(patient, neurologist, history, today, now)
    visit = VisitFactory(patient=patient, date=today + dt.timedelta(days=visit_offset), status="in_progress")
    session = plan(visit, neurologist, code, rows)
    if preparation != "none":
        made = now - dt.timedelta(hours=1 if preparation == "fresh" else 30)
        session = prepare(session, neurologist, reconstituted_at=made)
    if not active:
        patient_deactivate(patient=patient, acting_user=neurologist)
    expected = selectors.session_findings(session, now=now)
    answers = answers_for(expected, how)
    try:
        with transaction.atomic():
            services.session_sign(
                session=session, version=session.version, acknowledgements=answers, acting_user=neurologist, now=now
            )
    except ValidationError:
        pass
    session = InjectionSession.objects.get(pk=session.pk)
    event("signed" if session.is_signed else "refused")
    if not session.is_signed:
        return
    product = PRODUCTS[code]
    rows_signed = list(session.injections.all())
    total = sum(row.dose for row in rows_signed)
    assert total <= product[4], "signed above the hard ceiling"
    assert session.lot_number and session.lot_expiry and session.diluent_ml is not None
    assert session.visit.date <= today, "signed for a visit after today"
    patient.refresh_from_db()
    assert patient.active, "signed for an inactive patient"
    if product[1] == "powder":
        assert now - session.reconstituted_at <= dt.timedelta(hours=24)
    assert session.findings_at_signing == [_finding_record(finding) for finding in expected]
    assert not [f for f in session.findings_at_signing if f["level"] == Level.ERROR]
    acknowledgements = {ack.finding_key: ack for ack in session.acknowledgements.all()}
    for finding in session.findings_at_signing:
        if finding["level"] == Level.OVERRIDE:
            ack = acknowledgements[finding["key"]]
            assert ack.level == "override" and ack.reason.strip(), "override signed without a reason"
        if finding["level"] == Level.WARNING:
            assert finding["key"] in acknowledgements
    assert set(acknowledgements) <= {f["key"] for f in session.findings_at_signing}
    if total > product[3]:
        assert acknowledgements["SESSION_MAX_EXCEEDED"].reason == OVERRIDE_REASON


# --- examples the properties rest on --------------------------------------------------------------------


def daxxify_plan(neurologist, units, *, visit_date=None, prepared=True):
    today = timezone.localdate()
    visit = VisitFactory(patient=PatientFactory(), date=visit_date or today, status="in_progress")
    session = plan(visit, neurologist, "DAXI", [("TRAPEZIUS_UPPER", "left", Decimal(units) / 300)])
    return prepare(session, neurologist) if prepared else session


def all_warnings(session):
    return {f.key: "" for f in selectors.session_findings(session) if f.level == Level.WARNING}


def test_session_sign_no_longer_takes_findings_from_its_caller(reference, neurologist):
    session = daxxify_plan(neurologist, 280)
    with pytest.raises(TypeError):
        services.session_sign(
            session=session, version=session.version, findings=[], acknowledgements={}, acting_user=neurologist
        )


def test_an_override_without_a_written_reason_is_refused_and_with_one_it_is_stored(reference, neurologist):
    session = daxxify_plan(neurologist, 280)  # above Daxxify's labeled 250 U, below the 300 U ceiling
    for blank in ({}, {"SESSION_MAX_EXCEEDED": "  "}):
        with pytest.raises(ValidationError, match="Give a reason to sign above this limit"):
            services.session_sign(
                session=session,
                version=session.version,
                acknowledgements={**all_warnings(session), **blank},
                acting_user=neurologist,
            )
    signed = services.session_sign(
        session=session,
        version=session.version,
        acknowledgements={**all_warnings(session), "SESSION_MAX_EXCEEDED": "Severe retrocollis, tolerated before"},
        acting_user=neurologist,
    )
    ack = signed.acknowledgements.get(finding_key="SESSION_MAX_EXCEEDED")
    assert (ack.level, ack.reason) == ("override", "Severe retrocollis, tolerated before")


def test_above_the_hard_ceiling_nothing_signs_whatever_the_reason(reference, neurologist):
    session = daxxify_plan(neurologist, 310)
    answers = {f.key: "reason" for f in selectors.session_findings(session)}
    with pytest.raises(ValidationError, match="hard ceiling"):
        services.session_sign(
            session=session, version=session.version, acknowledgements=answers, acting_user=neurologist
        )


def test_a_session_without_preparation_or_for_a_future_visit_is_refused(reference, neurologist):
    unprepared = daxxify_plan(neurologist, 100, prepared=False)
    with pytest.raises(ValidationError, match="preparation is not recorded"):
        services.session_sign(
            session=unprepared, version=unprepared.version, acknowledgements={}, acting_user=neurologist
        )
    future = daxxify_plan(neurologist, 100, visit_date=timezone.localdate() + dt.timedelta(days=28))
    with pytest.raises(ValidationError, match="after today"):
        services.session_sign(
            session=future, version=future.version, acknowledgements=all_warnings(future), acting_user=neurologist
        )


def test_an_inactive_patient_is_refused_at_save_prepare_and_sign(reference, neurologist):
    session = daxxify_plan(neurologist, 100, prepared=False)
    patient_deactivate(patient=session.visit.patient, acting_user=neurologist)
    with pytest.raises(ValidationError, match="inactive"):
        services.session_save_plan(
            session=session,
            version=session.version,
            product=session.product,
            default_guidance="emg",
            rows=[],
            acting_user=neurologist,
        )
    with pytest.raises(ValidationError, match="inactive"):
        prepare(session, neurologist)
    with pytest.raises(ValidationError, match="inactive"):
        services.session_sign(session=session, version=session.version, acknowledgements={}, acting_user=neurologist)


def test_an_override_acknowledgement_without_a_reason_cannot_be_stored(reference, neurologist):
    session = daxxify_plan(neurologist, 280)
    signed = services.session_sign(
        session=session,
        version=session.version,
        acknowledgements={**all_warnings(session), "SESSION_MAX_EXCEEDED": "reason"},
        acting_user=neurologist,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FindingAcknowledgement.objects.create(
            session=signed,
            finding_key="OTHER",
            finding_code="OTHER",
            level="override",
            message="m",
            reason="",
            acknowledged_by=neurologist,
            acknowledged_at=timezone.now(),
        )


def test_overrides_are_audited_and_counted_on_the_clinic_figures(reference, neurologist):
    from patients.audit.models import AuditEvent
    from planner.clinic.figures import clinic_figures

    session = daxxify_plan(neurologist, 280)
    services.session_sign(
        session=session,
        version=session.version,
        acknowledgements={**all_warnings(session), "SESSION_MAX_EXCEEDED": "reason written"},
        acting_user=neurologist,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGN, object_id=str(session.pk))
    assert event.changes["overrides"] == {"SESSION_MAX_EXCEEDED": "reason written"}
    today = timezone.localdate()
    figures = clinic_figures(date_from=today.replace(day=1), date_to=today)
    assert [(row.product, row.overrides) for row in figures.overrides] == [("Daxxify", 1)]
