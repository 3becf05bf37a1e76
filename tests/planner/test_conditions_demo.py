"""The demo clinic includes patients with conditions, medicines and toxin given elsewhere."""

import datetime as dt

import pytest

from patients import demo as patients_demo
from planner.demo.sessions import DEMO_CONDITIONS, DEMO_OUTSIDE_DOSES, seed_demo_conditions
from planner.models import OutsideToxinDose, PatientCondition
from planner.plans.selectors import session_findings

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _reference(shipped_reference):
    return shipped_reference


def test_the_demo_clinic_has_conditions_and_doses_given_elsewhere_and_a_rerun_adds_nothing(nurse):
    patients_demo.seed_demo_clinic(patients=40, seed=7, today=TODAY, recorded_by=nurse)
    made, doses = seed_demo_conditions(recorded_by=nurse, today=TODAY)
    assert (made, doses) == (len(DEMO_CONDITIONS), len(DEMO_OUTSIDE_DOSES))
    assert seed_demo_conditions(recorded_by=nurse, today=TODAY) == (0, 0)
    codes = set(PatientCondition.objects.values_list("code__code", flat=True))
    assert {"MYASTHENIA_GRAVIS", "ANTICOAGULANT", "AMINOGLYCOSIDE"} <= codes
    for entry in PatientCondition.objects.all():
        entry.full_clean()
        assert entry.recorded_by == nurse and entry.history.exists()
    for record in OutsideToxinDose.objects.all():
        record.full_clean()
    # The aminoglycoside course is over; the others are current.
    ended = PatientCondition.objects.get(code__code="AMINOGLYCOSIDE")
    assert ended.until is not None and not ended.is_current_on(TODAY)


def test_without_a_recorder_nothing_is_seeded():
    assert seed_demo_conditions(recorded_by=None) == (0, 0)


def test_a_demo_patient_with_myasthenia_has_the_finding_in_a_new_plan(nurse, neurologist):
    from planner.models import Product
    from planner.plans import services
    from tests.patients.factories import VisitFactory

    patients_demo.seed_demo_clinic(patients=40, seed=7, today=TODAY, recorded_by=nurse)
    seed_demo_conditions(recorded_by=nurse, today=TODAY)
    patient = PatientCondition.objects.get(code__code="MYASTHENIA_GRAVIS").patient
    visit = VisitFactory(patient=patient, date=TODAY + dt.timedelta(days=400), status="in_progress")
    session = services.session_start(visit=visit, acting_user=neurologist)
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=Product.objects.get(code="ONA"),
        default_guidance="anatomical",
        rows=[],
        acting_user=neurologist,
    )
    [finding] = [f for f in session_findings(session) if f.code == "CONDITION"]
    assert finding.key == "CONDITION:MYASTHENIA_GRAVIS" and finding.level == "override"
