"""Pages for patients and visits. Each view checks a model permission, loads its object through
the helper for that object type, validates with a form, calls one service and redirects
(POST/redirect/GET) with a message."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patients import posture, scoring, selectors, services
from patients.audit.selectors import patient_revision
from patients.audit.services import log_access, log_list_access
from patients.chart import chart_sections, chart_versions, fragment_key, visit_summaries
from patients.forms import (
    AdverseEventForm,
    PatientForm,
    PostureAssessmentForm,
    TsuiForm,
    TwstrsForm,
    VisitForm,
    VisitOutcomeForm,
)
from patients.models import AdverseEvent, Patient, Visit

GET_POST = require_http_methods(["GET", "POST"])


# --- One helper per object type: check the permission for the action, then load the object. ---


def _allowed(request, model, action):
    if not request.user.has_perm(f"patients.{action}_{model}"):
        raise PermissionDenied


def _patient(request, pk, action="view"):
    _allowed(request, "patient", action)
    return get_object_or_404(Patient, pk=pk)


def _visit(request, pk, action="view", model="visit"):
    """A visit, checked against the permission of what is being recorded at it (``model``)."""
    _allowed(request, model, action)
    return get_object_or_404(Visit.objects.select_related("patient"), pk=pk)


def _adverse_event(request, pk, action="change"):
    _allowed(request, "adverseevent", action)
    return get_object_or_404(AdverseEvent.objects.select_related("visit__patient"), pk=pk)


def _apply(form, error):
    """Put a service's ValidationError on the form: at the field it names, else at the top.

    A stale save (someone saved the record after this form was opened) keeps what the person typed,
    and the form now carries the record's current version: saving again replaces it on purpose.
    """
    if isinstance(error, services.StaleRecordError):
        form.data = form.data.copy()
        form.data[form.add_prefix("version")] = error.current_version
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Patients ---


@permission_required("patients.view_patient", raise_exception=True)
@require_GET
def patient_list(request):
    query = request.GET.get("q", "").strip()
    include_inactive = request.GET.get("inactive") == "1"
    patients = selectors.patient_search(query=query, include_inactive=include_inactive)
    page = Paginator(patients.only(*selectors.PATIENT_ROW_FIELDS), selectors.PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": selectors.patient_rows(page.object_list),
        "query": query,
        "include_inactive": include_inactive,
    }
    log_list_access(request, [patient.pk for patient in page.object_list], what="patient search")
    if request.htmx:
        return render(request, "patients/patient_list.html#results", context)
    return render(request, "patients/patient_list.html", context)


@permission_required("patients.add_patient", raise_exception=True)
@GET_POST
def patient_register(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(**form.patient_fields(), acting_user=request.user)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, f"{patient.full_name} ({patient.mrn}) is registered.")
            return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


CHART_BODY = "patients/patient_detail.html#chart-body"
VISIT_BODY = "patients/visit_detail.html#visit-body"
BODY_SECONDS = 24 * 60 * 60


@permission_required("patients.view_patient", raise_exception=True)
@require_GET
def patient_chart(request, pk):
    # Read before anything of the patient's: a change committed after this point is a new revision, so
    # what is built below is never kept under an older one than it shows.
    revision = patient_revision(pk)
    patient = _patient(request, pk)
    log_access(request, patient, patient_id=patient.pk, what="chart")
    body = _kept_body(
        "patients:chart", request.user, (patient.pk, revision), lambda: _render_chart_body(request.user, patient)
    )
    return render(request, "patients/patient_detail.html", {"patient": patient, "body": body})


def _kept_body(name, user, shown, build):
    """A page's body, rendered (autoescaped) and kept in Django's cache under all it depends on: what
    ``shown`` names (the record and the patient's revision: every committed change to their records), the
    day (ages, current conditions, what can be recorded today), the user's permissions (which sections and
    buttons show) and the other apps' data it shows (patients.chart.chart_versions). Opened again unchanged,
    it is one cache read; ``build`` renders it otherwise."""
    versions = chart_versions()
    if versions is None:  # another app's data has an uncommitted change: nothing to key the body by
        return build()
    key = fragment_key(name, (shown, timezone.localdate(), sorted(user.get_all_permissions()), versions))
    return cache.get_or_set(key, build, BODY_SECONDS)


def _render_chart_body(user, patient):
    chart = selectors.patient_chart(patient=patient)
    sections = chart_sections(user=user, patient=patient, records=chart.records)
    context = {"patient": patient, "chart": chart, "sections": sections, "perms": PermWrapper(user)}
    return render_to_string(CHART_BODY, context)  # a SafeString, which the cache keeps as one


@permission_required("patients.change_patient", raise_exception=True)
@GET_POST
def patient_edit(request, pk):
    patient = _patient(request, pk, "change")
    form = PatientForm(request.POST or None, instance=patient, initial={"version": services.record_version(patient)})
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                patient=patient, acting_user=request.user, seen_version=form.seen_version(), **form.patient_fields()
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, f"{patient.full_name}'s details are saved.")
            return redirect(patient)
    if request.method == "POST":
        patient.refresh_from_db()  # the form changed the instance; show the stored name in the heading
    log_access(request, patient, patient_id=patient.pk, what="patient edit form")
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@permission_required("patients.change_patient", raise_exception=True)
@GET_POST
def patient_deactivate(request, pk):
    """GET asks for confirmation; POST deactivates. Nothing is ever deleted."""
    patient = _patient(request, pk, "change")
    if request.method == "POST":
        services.patient_deactivate(patient=patient, acting_user=request.user)
        messages.success(request, f"{patient.full_name} is deactivated. The record is kept and can be reactivated.")
        return redirect(patient)
    upcoming = patient.visits.filter(status=Visit.Status.SCHEDULED, date__gte=timezone.localdate()).count()
    log_access(request, patient, patient_id=patient.pk, what="deactivation form")
    return render(request, "patients/patient_confirm_deactivate.html", {"patient": patient, "upcoming": upcoming})


@permission_required("patients.change_patient", raise_exception=True)
@require_POST
def patient_reactivate(request, pk):
    patient = _patient(request, pk, "change")
    try:
        services.patient_reactivate(patient=patient, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{patient.full_name} is active again.")
    return redirect(patient)


# --- Visits ---


@permission_required("patients.add_visit", raise_exception=True)
@GET_POST
def visit_book(request, pk):
    patient = _patient(request, pk)
    _allowed(request, "visit", "add")
    if not patient.active:
        messages.error(request, "This patient is inactive: reactivate them before booking a visit.")
        return redirect(patient)
    last = patient.visits.order_by("-date").first()
    # Today, the usual case (the patient is here); a date ahead is a deliberate choice, helped by the hint.
    form = VisitForm(request.POST or None, instance=Visit(patient=patient), initial={"date": timezone.localdate()})
    if last and last.date + timedelta(weeks=12) > timezone.localdate():
        due = last.date + timedelta(weeks=12)
        form.fields["date"].help_text = f"Twelve weeks after the last visit is {due:%d %b %Y}."
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_book(
                patient=patient,
                date=form.cleaned_data["date"],
                notes=form.cleaned_data["notes"],
                acting_user=request.user,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, f"Visit booked for {visit.date:%d %b %Y}.")
            return redirect(visit)
    log_access(request, patient, patient_id=patient.pk, what="visit booking form")
    return render(request, "patients/visit_form.html", {"form": form, "patient": patient, "visit": None})


@permission_required("patients.view_visit", raise_exception=True)
@require_GET
def visit_detail(request, pk):
    _allowed(request, "visit", "view")
    # The heading (who the visit is for, its status, the start and complete forms with their CSRF tokens) is
    # rendered on every view; the body is built from what is read after the revision, so it is never kept
    # under an older revision than it shows (see patient_chart).
    visit = get_object_or_404(Visit.objects.select_related("patient", "recorded_by", "booked_by"), pk=pk)
    revision = patient_revision(visit.patient_id)
    log_access(request, visit, patient_id=visit.patient_id, what="visit")
    body = _kept_body(
        "patients:visit", request.user, (visit.pk, revision), lambda: _render_visit_body(request.user, pk)
    )
    context = {"visit": visit, "patient": visit.patient, "today": timezone.localdate(), "body": body}
    return render(request, "patients/visit_detail.html", context)


def _render_visit_body(user, pk):
    record = selectors.visit_record_get(pk)  # found: the heading read it, and visits are never deleted
    context = {
        "record": record,
        "visit": record.visit,
        "patient": record.visit.patient,
        "twstrs_version": scoring.TWSTRS_VERSION,
        "today": timezone.localdate(),
        # What other apps record at this visit (the injection plan), without patients importing them.
        "summaries": visit_summaries([record.visit])[record.visit.pk],
        "perms": PermWrapper(user),
    }
    return render_to_string(VISIT_BODY, context)


@permission_required("patients.change_visit", raise_exception=True)
@GET_POST
def visit_edit(request, pk):
    visit = _visit(request, pk, "change")
    form = VisitForm(request.POST or None, instance=visit, initial={"version": services.record_version(visit)})
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_update(
                visit=visit,
                date=form.cleaned_data["date"],
                notes=form.cleaned_data["notes"],
                acting_user=request.user,
                seen_version=form.seen_version(),
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "The visit is saved.")
            return redirect(visit)
    if request.method == "POST":
        visit.refresh_from_db()
    log_access(request, visit, patient_id=visit.patient_id, what="visit edit form")
    return render(request, "patients/visit_form.html", {"form": form, "patient": visit.patient, "visit": visit})


@permission_required("patients.change_visit", raise_exception=True)
@require_POST
def visit_status(request, pk):
    visit = _visit(request, pk, "change")
    action = request.POST.get("action")
    change = {"start": services.visit_start, "complete": services.visit_complete}.get(action)
    if change is None:
        messages.error(request, "Unknown action.")
        return redirect(visit)
    try:
        change(visit=visit, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The visit is {visit.get_status_display().lower()}.")
    return redirect(visit)


# --- What is recorded at a visit ---


def _record_page(request, visit, template, form, **extra):
    record = selectors.visit_record_get(visit.pk)
    # Each recording form shows the visit's record: the URL's name says which form was opened.
    log_access(request, record.visit, patient_id=record.visit.patient_id, what=request.resolver_match.url_name)
    context = {"form": form, "visit": record.visit, "patient": record.visit.patient, "record": record, **extra}
    return render(request, template, context)


def _saved(request, visit, text):
    messages.success(request, text)
    return redirect(visit)


@permission_required(["patients.add_postureassessment", "patients.change_postureassessment"], raise_exception=True)
@GET_POST
def posture_record(request, pk):
    visit = _visit(request, pk, "change", "postureassessment")
    record = selectors.visit_record_get(visit.pk)
    form = PostureAssessmentForm(
        request.POST or None,
        findings=record.findings or (),
        initial={
            "notes": record.posture.notes if record.posture else "",
            "version": services.record_version(record.posture),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.posture_assessment_record(
                visit=visit,
                findings=form.findings(),
                notes=form.cleaned_data["notes"],
                acting_user=request.user,
                seen_version=form.seen_version(),
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            text = posture.summary(form.findings()) or "no abnormal posture"
            return _saved(request, visit, f"Posture saved: {text}.")
    return _record_page(request, visit, "patients/postureassessment_form.html", form)


@permission_required(["patients.add_twstrsassessment", "patients.change_twstrsassessment"], raise_exception=True)
@GET_POST
def twstrs_record(request, pk):
    visit = _visit(request, pk, "change", "twstrsassessment")
    record = selectors.visit_record_get(visit.pk)
    initial = record.twstrs_record.typed_items() if record.twstrs_record else {}
    form = TwstrsForm(
        request.POST or None, initial={**initial, "version": services.record_version(record.twstrs_record)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.twstrs_record(
                visit=visit, items=form.scored_items(), acting_user=request.user, seen_version=form.seen_version()
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            result = selectors.twstrs_for_visit(visit)
            return _saved(request, visit, f"TWSTRS saved: total {result.display} ({result.status}).")
    return _record_page(
        request,
        visit,
        "patients/twstrsassessment_form.html",
        form,
        derived=_derived_rows(record),
        twstrs_version=scoring.TWSTRS_VERSION,
        pain_formula=scoring.PAIN_SEVERITY_FORMULA,
        pain_source=scoring.PAIN_SEVERITY_SOURCE,
    )


def _derived_rows(record):
    """The TWSTRS severity items taken from the posture, as (item, value or None) pairs."""
    values = record.twstrs_from_posture
    return [(item, values.get(item.key)) for item in scoring.TWSTRS_SEVERITY if item.from_posture]


@permission_required(["patients.add_tsuiassessment", "patients.change_tsuiassessment"], raise_exception=True)
@GET_POST
def tsui_record(request, pk):
    visit = _visit(request, pk, "change", "tsuiassessment")
    record = selectors.visit_record_get(visit.pk)
    initial = record.tsui_record.typed_items() if record.tsui_record else {}
    form = TsuiForm(request.POST or None, initial={**initial, "version": services.record_version(record.tsui_record)})
    if request.method == "POST" and form.is_valid():
        try:
            services.tsui_record(
                visit=visit, items=form.scored_items(), acting_user=request.user, seen_version=form.seen_version()
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            result = selectors.tsui_for_visit(visit)
            return _saved(request, visit, f"Tsui saved: total {result.display} ({result.status}).")
    tremor = scoring.tsui_from_posture(record.findings).get("tremor_severity")
    return _record_page(
        request,
        visit,
        "patients/tsuiassessment_form.html",
        form,
        tremor_severity=tremor,
        tsui_version=scoring.TSUI_VERSION,
        tsui_formula=scoring.TSUI_FORMULA,
    )


@permission_required(["patients.add_visitoutcome", "patients.change_visitoutcome"], raise_exception=True)
@GET_POST
def outcome_record(request, pk):
    visit = _visit(request, pk, "change", "visitoutcome")
    record = selectors.visit_record_get(visit.pk)
    form = VisitOutcomeForm(
        request.POST or None, instance=record.outcome, initial={"version": services.record_version(record.outcome)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_outcome_record(
                visit=visit,
                pain_now=form.cleaned_data["pain_now"],
                pgic=form.cleaned_data["pgic"],
                acting_user=request.user,
                seen_version=form.seen_version(),
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            return _saved(request, visit, "Pain and global impression saved.")
    if request.method == "POST" and record.outcome:
        record.outcome.refresh_from_db()
    return _record_page(request, visit, "patients/visitoutcome_form.html", form)


@permission_required("patients.add_adverseevent", raise_exception=True)
@GET_POST
def adverse_event_add(request, pk):
    visit = _visit(request, pk, "add", "adverseevent")
    form = AdverseEventForm(request.POST or None, instance=AdverseEvent(visit=visit))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.ADVERSE_EVENT_FIELDS}
        try:
            event = services.adverse_event_record(visit=visit, acting_user=request.user, **fields)
        except ValidationError as error:
            _apply(form, error)
        else:
            return _saved(request, visit, f"Side effect recorded: {event}.")
    previous = selectors.previous_visit(visit)
    return _record_page(request, visit, "patients/adverseevent_form.html", form, event=None, previous=previous)


@permission_required("patients.change_adverseevent", raise_exception=True)
@GET_POST
def adverse_event_edit(request, pk):
    event = _adverse_event(request, pk)
    visit = event.visit
    form = AdverseEventForm(request.POST or None, instance=event, initial={"version": services.record_version(event)})
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.ADVERSE_EVENT_FIELDS}
        try:
            services.adverse_event_update(
                event=event, acting_user=request.user, seen_version=form.seen_version(), **fields
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            return _saved(request, visit, f"Side effect saved: {event}.")
    previous = selectors.previous_visit(visit)
    return _record_page(request, visit, "patients/adverseevent_form.html", form, event=event, previous=previous)
