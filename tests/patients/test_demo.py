"""The demo clinic: deterministic, realistic, valid, and safe to seed twice."""

from collections import Counter
from statistics import mean

import pytest
from django.core.management import CommandError, call_command

from patients import demo, selectors
from patients.models import AdverseEvent, Patient, PostureComponent, TwstrsAssessment, Visit
from tests.patients.conftest import TODAY


def test_the_same_seed_and_day_give_the_same_clinic_and_patient_n_does_not_depend_on_how_many():
    assert demo.demo_clinic(patients=5, seed=1, today=TODAY) == demo.demo_clinic(patients=5, seed=1, today=TODAY)
    assert demo.demo_clinic(patients=5, seed=1, today=TODAY)[2] == demo.demo_clinic(patients=9, seed=1, today=TODAY)[2]
    assert demo.demo_clinic(patients=5, seed=1, today=TODAY) != demo.demo_clinic(patients=5, seed=2, today=TODAY)


def test_postures_follow_the_published_col_cap_frequencies():
    clinic = demo.demo_clinic(patients=400, seed=7, today=TODAY)
    first_postures = [patient.visits[0].findings for patient in clinic]
    per_patient = Counter(finding.code for findings in first_postures for finding in findings)
    assert per_patient.most_common(1)[0][0] == "TORTICAPUT"
    assert 2.2 <= mean(len(findings) for findings in first_postures) <= 2.8
    tremor = sum(any(f.code.startswith("TREMOR") for f in findings) for findings in first_postures) / 400
    assert 0.4 <= tremor <= 0.6


def test_visits_are_about_twelve_weeks_apart_and_only_the_next_one_is_in_the_future():
    for patient in demo.demo_clinic(patients=50, seed=3, today=TODAY):
        dates = [visit.date for visit in patient.visits]
        assert dates == sorted(dates)
        gaps = [(later - earlier).days for earlier, later in zip(dates, dates[1:], strict=False)]
        assert all(70 <= gap <= 98 for gap in gaps), gaps
        assert all(visit.date <= TODAY for visit in patient.visits if visit.status == "completed")
        assert all(visit.date > TODAY for visit in patient.visits if visit.status == "scheduled")


@pytest.mark.django_db
def test_seeding_twice_duplicates_nothing_and_every_row_passes_validation(nurse):
    assert demo.seed_demo_clinic(patients=12, seed=1, today=TODAY, recorded_by=nurse) == (12, 0)
    counts = [model.objects.count() for model in (Patient, Visit, PostureComponent, TwstrsAssessment, AdverseEvent)]
    assert demo.seed_demo_clinic(patients=12, seed=1, today=TODAY, recorded_by=nurse) == (0, 12)
    assert demo.seed_demo_clinic(patients=14, seed=1, today=TODAY, recorded_by=nurse) == (2, 12)
    assert Patient.objects.count() == 14
    assert counts[0] == 12 and all(counts[1:4])
    assert set(Patient.objects.values_list("mrn", flat=True)) == {demo.demo_mrn(n) for n in range(1, 15)}
    for model in (Patient, Visit, PostureComponent, TwstrsAssessment, AdverseEvent):
        for row in model.objects.all():
            row.full_clean()
    assert Patient.history.filter(history_user=nurse).count() == 14
    for patient in Patient.objects.all():
        chart = selectors.patient_chart(patient=patient)
        assert all(
            record.twstrs and 0 <= record.twstrs.total <= 85
            for record in chart.records
            if record.visit.status == "completed"
        )


@pytest.mark.django_db
def test_the_search_finds_demo_patients_without_their_accents():
    demo.seed_demo_clinic(patients=30, seed=1, today=TODAY)
    accented = Patient.objects.filter(family_name__in=["Müller", "Peña", "Dvořák", "Jönsson", "Ibáñez"]).first()
    assert accented is not None
    plain = {"Müller": "muller", "Peña": "pena", "Dvořák": "dvorak", "Jönsson": "jonsson", "Ibáñez": "ibanez"}
    assert accented in selectors.patient_search(query=plain[accented.family_name])


@pytest.mark.django_db
def test_the_command_is_thin_idempotent_and_refuses_production(settings, capsys):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing because DEBUG is off"):
        call_command("seed_demo", "--patients", "3")
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "3", "--seed", "1", "--today", TODAY.isoformat())
    call_command("seed_demo", "--patients", "3", "--seed", "1", "--today", TODAY.isoformat())
    assert capsys.readouterr().out.splitlines() == [
        "Demo clinic: 3 patients created, 0 already there (seed 1).",
        "Demo clinic: 0 patients created, 3 already there (seed 1).",
    ]
    assert Patient.objects.count() == 3
