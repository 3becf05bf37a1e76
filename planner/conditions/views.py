"""Recording conditions, medicines and toxin given elsewhere on a patient (nurses and neurologists).

One helper per object type checks the model permission, then loads the object. Each page writes an
access entry (it shows the patient), and each save goes through planner.conditions.records' services.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from patients.audit.services import log_access
from patients.models import Patient
from planner.conditions import records as conditions
from planner.models import OutsideToxinDose, PatientCondition

GET_POST = require_http_methods(["GET", "POST"])


def _require(request, *permissions):
    if not all(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def _patient(request, pk, permission):
    _require(request, "patients.view_patient", permission)
    return get_object_or_404(Patient, pk=pk)


def _condition(request, pk):
    _require(request, "patients.view_patient", "planner.change_patientcondition")
    return get_object_or_404(PatientCondition.objects.select_related("patient", "code", "product"), pk=pk)


def _outside_dose(request, pk):
    _require(request, "patients.view_patient", "planner.change_outsidetoxindose")
    return get_object_or_404(OutsideToxinDose.objects.select_related("patient", "product"), pk=pk)


def _apply(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _page(request, template, patient, what, **context):
    log_access(request, patient, patient_id=patient.pk, what=what)
    return render(request, template, {"patient": patient, **context})


def _done(request, patient, text):
    messages.success(request, text)
    return redirect(f"{patient.get_absolute_url()}#section-conditions")


@GET_POST
def condition_add(request, pk):
    patient = _patient(request, pk, "planner.add_patientcondition")
    form = conditions.ConditionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = conditions.condition_record(patient=patient, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            return _done(request, patient, f"Recorded: {entry.code.name}.")
    return _page(request, "planner/conditions/condition_form.html", patient, "condition form", form=form)


@GET_POST
def condition_end(request, pk):
    entry = _condition(request, pk)
    form = conditions.ConditionEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conditions.condition_end(
                entry=entry,
                until=form.cleaned_data["until"],
                in_error=form.cleaned_data["in_error"],
                acting_user=request.user,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            done = "Removed as recorded in error" if form.cleaned_data["in_error"] else "Ended"
            return _done(request, entry.patient, f"{done}: {entry.code.name}.")
    return _page(
        request, "planner/conditions/condition_end.html", entry.patient, "condition end form", form=form, entry=entry
    )


@GET_POST
def outside_dose_add(request, pk):
    patient = _patient(request, pk, "planner.add_outsidetoxindose")
    form = conditions.OutsideDoseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = conditions.outside_dose_record(patient=patient, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            return _done(request, patient, f"Recorded: {record.dose_text} on {record.given_on:%d %b %Y}.")
    return _page(request, "planner/conditions/outside_dose_form.html", patient, "outside dose form", form=form)


@GET_POST
def outside_dose_remove(request, pk):
    record = _outside_dose(request, pk)
    error = None
    if request.method == "POST":
        try:
            conditions.outside_dose_deactivate(record=record, acting_user=request.user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            return _done(request, record.patient, "Removed as recorded in error; it is kept in the history.")
    return _page(
        request,
        "planner/conditions/outside_dose_remove.html",
        record.patient,
        "outside dose removal",
        record=record,
        error=error,
    )
