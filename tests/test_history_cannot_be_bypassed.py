"""Every change to clinical and reference data leaves a history row and an audit entry.

django-simple-history records what goes through Model.save() and Model.delete(). QuerySet.update(),
bulk_update() and delete() do not go through them, so on every audited model they are refused
(patients.audit.managers). These tests walk every model registered with simple_history, so a new
audited model that forgets its manager fails here.
"""

import ast
from datetime import date
from pathlib import Path

import pytest
from simple_history.models import registered_models

from patients import services
from patients.audit.managers import AuditedQuerySet, HistoryBypassError
from patients.audit.models import AuditEvent
from patients.models import Patient, Visit
from tests.patients.factories import PatientFactory, VisitFactory

REPO = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("patients", "planner")


def audited_models():
    """Every model simple_history tracks, except the many-to-many link tables it registers.

    Django creates those link tables itself (``Muscle.sources.through``); they cannot carry a custom
    manager without a hand-written through model. Their changes are still recorded: simple_history
    writes a history row of the owning model for each change of the relation (m2m_fields), which
    ``test_link_tables_are_recorded_through_their_owner`` checks.
    """
    return sorted(
        (model for model in registered_models.values() if not model._meta.auto_created),
        key=lambda model: model._meta.label,
    )


def link_tables():
    return sorted(
        (model for model in registered_models.values() if model._meta.auto_created),
        key=lambda model: model._meta.label,
    )


def test_the_walk_finds_the_clinical_reference_and_plan_models():
    labels = {model._meta.label for model in audited_models()}
    # A floor, not the full list: new audited models join the walk by themselves.
    assert {
        "patients.Patient",
        "patients.Visit",
        "patients.PostureComponent",
        "patients.AdverseEvent",
        "planner.Muscle",
        "planner.Source",
        "planner.DoseGuideline",
        "planner.InjectionSession",
        "planner.Injection",
    } <= labels


@pytest.mark.parametrize("model", audited_models(), ids=lambda model: model._meta.label)
def test_the_default_manager_refuses_writes_that_skip_history(model):
    queryset = model._default_manager.all()
    assert isinstance(queryset, AuditedQuerySet), (
        f"{model._meta.label} keeps history but its default manager is {type(model._default_manager).__name__}: "
        "declare `objects = AuditedManager()` (patients.audit.managers) on it, or build its manager from a "
        "QuerySet subclass of AuditedQuerySet."
    )
    # Each refuses before touching the database, so no rows are needed.
    with pytest.raises(HistoryBypassError, match="audit"):
        queryset.update(pk=0)
    with pytest.raises(HistoryBypassError, match="audit"):
        model._default_manager.bulk_update([], ["pk"])
    with pytest.raises(HistoryBypassError, match="never deleted"):
        queryset.delete()


@pytest.mark.parametrize("model", link_tables(), ids=lambda model: model._meta.label)
def test_link_tables_are_recorded_through_their_owner(model):
    fields = [
        field for owner in audited_models() for field in owner._meta.many_to_many if field.remote_field.through is model
    ]
    assert fields, f"{model._meta.label} is registered with history but belongs to no audited model"
    for field in fields:
        recorded = {m2m.name for m2m in field.model.history.model._history_m2m_fields}
        assert field.name in recorded, f"{field.model._meta.label}.history does not record {field.name}"


@pytest.mark.django_db
def test_related_managers_refuse_too():
    patient = PatientFactory()
    VisitFactory(patient=patient)
    with pytest.raises(HistoryBypassError):
        patient.visits.update(notes="silently changed")
    with pytest.raises(HistoryBypassError):
        patient.visits.all().delete()
    assert Visit.objects.get(patient=patient).notes == ""


@pytest.mark.django_db
def test_saving_through_a_service_leaves_a_history_row_and_an_audit_entry_with_who_and_what(nurse):
    patient = services.patient_register(
        mrn="HX100001",
        family_name="Okafor",
        given_name="Ada",
        date_of_birth=date(1968, 4, 2),
        sex=Patient.Sex.FEMALE,
        acting_user=nurse,
    )
    services.patient_update(patient=patient, notes="Prefers morning visits.", acting_user=nurse)

    latest = patient.history.latest("history_id")
    assert (latest.history_type, latest.history_user, latest.notes) == ("~", nurse, "Prefers morning visits.")
    event = AuditEvent.objects.filter(object_type="patients.patient", object_id=str(patient.pk)).latest("id")
    assert event.action == AuditEvent.Action.UPDATE
    assert event.actor == nurse
    assert event.patient_id == patient.pk
    assert event.changes == {"notes": ["", "Prefers morning visits."]}


# Derived tables that are not records and keep no history: rebuilt from the records at any time.
DERIVED = {"TreatmentDue.objects"}


def _calls_named(name):
    """(file, line) of every ``<something>.<name>(...)`` call in the app packages' own code, except on the
    managers of ``DERIVED`` tables."""
    found = []
    for package in APP_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == name
                    and ast.unparse(node.func.value) not in DERIVED
                ):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_no_app_code_inserts_in_bulk_without_history():
    """bulk_create() skips history too; the managers cannot refuse it, because
    simple_history.utils.bulk_create_with_history (which writes the history rows) calls it."""
    assert _calls_named("bulk_create") == [], "use simple_history.utils.bulk_create_with_history"
    assert _calls_named("_raw_delete") == []
