"""Factories for patients and visits. Clinical values are fixed, never random."""

from datetime import date

import factory

from patients.models import AdverseEvent, Patient, PostureAssessment, PostureComponent, TwstrsAssessment, Visit
from patients.text import patient_search_key


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"T{n:06d}")
    family_name = "Doe"
    given_name = "Jane"
    date_of_birth = date(1970, 5, 17)
    sex = Patient.Sex.FEMALE
    diagnosis_date = date(2015, 3, 1)
    toxin_naive = False
    baseline_swallowing = Patient.Swallowing.NORMAL
    search_key = factory.LazyAttribute(
        lambda o: patient_search_key(family_name=o.family_name, given_name=o.given_name, mrn=o.mrn)
    )


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    patient = factory.SubFactory(PatientFactory)
    date = date(2026, 3, 2)
    status = Visit.Status.COMPLETED


class PostureAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostureAssessment

    visit = factory.SubFactory(VisitFactory)


class PostureComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostureComponent

    assessment = factory.SubFactory(PostureAssessmentFactory)
    code = "TORTICAPUT"
    direction = "right"
    severity = 3


# A complete TWSTRS entry for the typed items; hand-computed sums are in the tests.
FULL_TWSTRS_TYPED = {
    "duration": 3,
    "sensory_trick": 1,
    "range_of_motion": 2,
    "time": 2,
    "work": 2,
    "activities_of_daily_living": 1,
    "driving": 3,
    "reading": 2,
    "television": 1,
    "activities_outside_home": 2,
    "pain_worst": 7,
    "pain_best": 2,
    "pain_usual": 4,
    "pain_duration": 3,
    "pain_disability": 2,
}


class TwstrsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TwstrsAssessment

    visit = factory.SubFactory(VisitFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return super()._create(model_class, *args, **{**FULL_TWSTRS_TYPED, **kwargs})


class AdverseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdverseEvent

    visit = factory.SubFactory(VisitFactory)
    kind = AdverseEvent.Kind.NECK_WEAKNESS
    severity = AdverseEvent.Severity.MILD
    onset_days = 5
    duration_days = 14
