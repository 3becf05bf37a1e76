"""Nothing clinical is hard-deleted through the app: no page deletes, no view takes DELETE, the admin's
delete views refuse, and Model.delete() refuses every record but the parts that editing removes
(whose removal history records)."""

import pytest
from django.contrib import admin
from django.db import transaction
from django.db.models.signals import pre_delete
from django.test import RequestFactory
from django.urls import reverse
from simple_history.models import registered_models

from patients import services
from patients.audit.managers import NeverDeletedError
from patients.audit.models import AuditEvent
from patients.audit.receivers import DELETABLE_PARTS
from patients.models import Patient, PostureComponent
from patients.posture import Finding
from tests.factories import make_user
from tests.patients.factories import AdverseEventFactory, PatientFactory, VisitFactory
from tests.security_world import walk_urls, world  # noqa: F401  (module fixture)
from tests.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db

AUDITED = sorted(
    (model for model in registered_models.values() if not model._meta.auto_created), key=lambda m: m._meta.label
)
NEVER_DELETED = [model for model in AUDITED if model._meta.label_lower not in DELETABLE_PARTS]


@pytest.fixture
def superuser(db):
    """More rights than any role has: if even a superuser cannot delete, nobody can."""
    return make_user(None, username="root", is_staff=True, is_superuser=True)


def app_routes():
    """Every URL of the app itself; the admin's are checked below, model by model."""
    return [route for route in walk_urls() if not route.route.startswith("admin/")]


def test_no_page_of_the_app_is_named_or_routed_as_a_delete():
    deleting = [route.route for route in app_routes() if "delete" in f"{route.name} {route.route}".lower()]
    assert deleting == []


# The sign-in page sends a signed-in user home whatever the method; it is asked signed out.
SIGNED_OUT_PAGES = {"login"}


def test_no_view_of_the_app_accepts_the_delete_method(world, client, superuser):  # noqa: F811
    accepted = []
    for route in app_routes():
        url = world.url(route.name, MATRIX[route.name][0])  # built as the permission matrix builds it
        client.logout()
        if route.name not in SIGNED_OUT_PAGES:
            client.force_login(superuser)
        with transaction.atomic():
            status = client.delete(url).status_code
            transaction.set_rollback(True)
        if status != 405:
            accepted.append(f"DELETE {url} -> {status}")
    assert accepted == [], "every view must answer 405 to DELETE: declare its methods (require_GET, ...)"


def test_no_clinical_record_is_in_the_admin():
    """Patients, visits, what is recorded at them and injection sessions have no admin pages at all."""
    in_admin = {model._meta.app_label + "." + model._meta.model_name for model in admin.site._registry}
    clinical = {model._meta.label_lower for model in AUDITED if model._meta.app_label == "patients"} | {
        "planner.injectionsession",
        "planner.injection",
        "planner.findingacknowledgement",
    }
    assert clinical & in_admin == set()


@pytest.mark.parametrize(
    "model",
    [model for model in admin.site._registry if model in AUDITED],
    ids=lambda model: model._meta.label,
)
def test_the_admin_refuses_to_delete_reference_rows_even_for_a_superuser(
    model,
    shipped_reference,
    client,
    superuser,
):
    row = model._default_manager.first()
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    assert model_admin.has_delete_permission(request, row) is False
    assert "delete_selected" not in model_admin.get_actions(request)

    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[row.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", NEVER_DELETED, ids=lambda model: model._meta.label)
def test_every_record_that_keeps_history_refuses_to_be_deleted(model):
    """What Model.delete() sends for each row before it deletes anything: the refusal comes first."""
    with pytest.raises(NeverDeletedError, match="never deleted"):
        pre_delete.send(sender=model, instance=model(pk=10**9), using="default", origin=None)


def test_the_deletable_parts_are_audited_models():
    assert {model._meta.label_lower for model in AUDITED} >= DELETABLE_PARTS


def test_deleting_a_patient_is_refused_and_leaves_them_in_place(nurse):
    patient = PatientFactory()
    with pytest.raises(NeverDeletedError, match="deactivate them instead"), transaction.atomic():
        patient.delete()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_deleting_a_side_effect_is_refused():
    event = AdverseEventFactory()
    with pytest.raises(NeverDeletedError), transaction.atomic():
        event.delete()
    assert event.visit.adverse_events.get() == event


def test_an_unticked_posture_component_is_removed_and_the_removal_is_recorded(nurse):
    visit = VisitFactory(status="in_progress")
    services.posture_assessment_record(visit=visit, findings=[Finding("TORTICAPUT", "right", 2)], acting_user=nurse)
    component = PostureComponent.objects.get(assessment__visit=visit)

    services.posture_assessment_record(visit=visit, findings=[], acting_user=nurse)

    assert not PostureComponent.objects.filter(pk=component.pk).exists()
    removed = PostureComponent.history.get(id=component.pk, history_type="-")
    assert removed.history_user == nurse
    event = AuditEvent.objects.get(object_type="patients.posturecomponent", action=AuditEvent.Action.DELETE)
    assert (event.actor, event.patient_id) == (nurse, visit.patient_id)
