"""The demo clinic's signed injection sessions: one per treated visit, plausible, safe to sign, seeded once."""

import io
from collections import defaultdict

import pytest
from django.core.management import call_command

from patients import demo
from patients.models import Patient, Visit
from planner.demo.sessions import TOTAL_SHARE, seed_demo_sessions
from planner.models import Injection, InjectionSession, TreatmentDue
from planner.plans import selectors
from planner.rules.safety import Level
from tests.patients.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(nurse):
    call_command("loadreference", stdout=io.StringIO())
    demo.seed_demo_clinic(patients=18, seed=3, today=TODAY, recorded_by=nurse, long_charts=1)


def test_every_completed_visit_of_a_treated_patient_gets_one_signed_session_and_naive_patients_none(
    clinic, neurologist, nurse
):
    made = seed_demo_sessions(seed=3, signed_by=neurologist, prepared_by=nurse)
    treated = Visit.objects.filter(status=Visit.Status.COMPLETED, patient__toxin_naive=False)
    assert made == treated.count() > 0
    assert set(InjectionSession.objects.values_list("visit_id", flat=True)) == set(treated.values_list("pk", flat=True))
    assert not InjectionSession.objects.filter(visit__patient__toxin_naive=True).exists()
    assert not InjectionSession.objects.exclude(status=InjectionSession.Status.SIGNED).exists()
    assert set(InjectionSession.objects.values_list("signed_by", flat=True)) == {neurologist.pk}
    assert InjectionSession.history.count() == made
    assert Injection.history.count() == Injection.objects.count()


def test_the_worklists_index_holds_each_treated_patients_last_session(clinic, neurologist):
    seed_demo_sessions(seed=3, signed_by=neurologist)  # bulk inserts: no signals, so the seed rebuilds the index
    last = {}
    for session in InjectionSession.objects.select_related("visit").order_by("visit__date", "pk"):
        last[session.visit.patient_id] = (session.pk, session.visit.date, session.product_id)
    index = {row.patient_id: (row.session_id, row.last_session, row.product_id) for row in TreatmentDue.objects.all()}
    assert index == last
    assert not TreatmentDue.objects.filter(due__isnull=True).exists()


def test_seeding_again_adds_nothing(clinic, neurologist):
    first = seed_demo_sessions(seed=3, signed_by=neurologist)
    assert first > 0
    assert seed_demo_sessions(seed=3, signed_by=neurologist) == 0
    assert InjectionSession.objects.count() == first


def test_each_patient_keeps_one_product_and_3_to_6_muscles_with_doses_in_the_sourced_ranges(clinic, neurologist):
    seed_demo_sessions(seed=3, signed_by=neurologist)
    products = defaultdict(set)
    ranges = {}
    for session in InjectionSession.objects.select_related("visit", "product").prefetch_related("injections__muscle"):
        products[session.visit.patient_id].add(session.product.code)
        rows = list(session.injections.all())
        assert 3 <= len(rows) <= 6
        assert len({(row.muscle_id, row.side) for row in rows}) == len(rows)
        assert sum(row.muscle.code == "SCM" for row in rows) <= 1, "no routine bilateral SCM"
        if session.product.code not in ranges:
            ranges[session.product.code] = selectors.reference_inputs(session.product)
        reference = ranges[session.product.code]
        for row in rows:
            bounded = [
                r
                for r in reference.dose_ranges
                if r.muscle_code == row.muscle.code and r.min_units is not None and r.max_units is not None
            ]
            if bounded:
                assert any(r.min_units <= row.dose <= r.max_units for r in bounded), (row, bounded)
        if reference.limits.session_max:
            assert sum(row.dose for row in rows) <= reference.limits.session_max.value * TOTAL_SHARE
        session.full_clean()
        for row in rows:
            row.full_clean()
    assert all(len(codes) == 1 for codes in products.values())


def test_the_last_session_of_each_patient_would_sign_without_errors(clinic, neurologist):
    seed_demo_sessions(seed=3, signed_by=neurologist)
    for patient in Patient.objects.filter(toxin_naive=False):
        session = (
            InjectionSession.objects.filter(visit__patient=patient)
            .select_related("visit__patient", "product")
            .order_by("-visit__date")
            .first()
        )
        review = selectors.review_plan(session, product=session.product, rows=selectors.saved_rows(session))
        errors = [finding.message for finding in review.findings if finding.level == Level.ERROR]
        assert not errors, (patient.mrn, errors)


def test_the_long_chart_has_forty_visits_and_forty_sessions(clinic, neurologist):
    seed_demo_sessions(seed=3, signed_by=neurologist)
    long_chart = Patient.objects.get(mrn=demo.demo_mrn(1, long_chart=True))
    assert long_chart.visits.filter(status=Visit.Status.COMPLETED).count() == demo.LONG_CHART_VISITS
    assert InjectionSession.objects.filter(visit__patient=long_chart).count() == demo.LONG_CHART_VISITS


def test_the_same_seed_gives_the_same_sessions(clinic, neurologist, django_db_blocker):
    seed_demo_sessions(seed=3, signed_by=neurologist)
    first = sorted(
        Injection.objects.values_list(
            "session__visit__patient__mrn", "session__visit__date", "muscle__code", "side", "dose"
        )
    )
    Injection.history.all().delete()
    InjectionSession.history.all().delete()
    # Signed rows refuse deletion through the ORM: remove them in SQL, as a fresh database would be.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Injection._meta.db_table}")
        cursor.execute(f"DELETE FROM {InjectionSession._meta.db_table}")
    seed_demo_sessions(seed=3, signed_by=neurologist)
    again = sorted(
        Injection.objects.values_list(
            "session__visit__patient__mrn", "session__visit__date", "muscle__code", "side", "dose"
        )
    )
    assert first == again
