"""Clinic overview and outcomes: the worklist, clinic figures, exports and the patient summary.

Who may do what (model permissions, never group names):
- the worklist, a patient's summary (page and PDF) and the patient's FHIR export: whoever may see
  patients and injection sessions (nurses and neurologists);
- clinic figures and the clinic-wide CSV export: whoever may sign injection sessions (neurologists),
  since the CSV carries every patient's record at once.
Every summary view and every export writes to the audit trail; the CSV writes one entry per patient
in it, so the audit report filtered by patient finds the export.
"""

import json
from datetime import timedelta

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from patients.audit.models import AuditEvent
from patients.audit.services import audit_record, log_access, log_list_access
from patients.models import Patient
from planner.clinic import exports, figures, summary, worklist
from planner.cycle.costs import clinic_costs
from planner.cycle.exports import billing_csv
from planner.documents.charts import month_bars

# Ten years of sessions is the longest period a figure or an export covers in one go.
MAX_RANGE_DAYS = 3660
EXPORT_KINDS = {"sessions": exports.sessions_csv, "injections": exports.injections_csv, "billing": billing_csv}
# Rendered worklist lists are kept this long at most (see worklist_page).
WORKLIST_CACHE_SECONDS = 30


# --- One helper per object type: check the permission, then load. ---------------------------------------


def _require(request, *permissions):
    if not all(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def _patient(request, pk):
    """A patient whose treatment record the user may read (patients and injection sessions)."""
    _require(request, "patients.view_patient", "planner.view_injectionsession")
    return get_object_or_404(Patient, pk=pk)


# --- Forms ------------------------------------------------------------------------------------------------


class HorizonForm(forms.Form):
    within = forms.TypedChoiceField(
        label="Due within",
        coerce=int,
        choices=[(days, f"{days // 7} week{'s' if days > 7 else ''}") for days in worklist.HORIZON_CHOICES],
        initial=worklist.DEFAULT_HORIZON_DAYS,
        required=False,
    )


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The end date is before the start date.")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("date_to", "Choose a period of at most ten years.")
        return cleaned


def _default_range():
    today = timezone.localdate()
    return {"date_from": (today - timedelta(days=364)).isoformat(), "date_to": today.isoformat()}


def _range_form(request):
    """The period from the query string, or the last twelve months when none is given."""
    data = request.GET if "date_from" in request.GET or "date_to" in request.GET else _default_range()
    return DateRangeForm(data)


# --- Pages ------------------------------------------------------------------------------------------------


@require_GET
def worklist_page(request):
    _require(request, "patients.view_patient", "planner.view_injectionsession")
    form = HorizonForm(request.GET or None)
    horizon = worklist.DEFAULT_HORIZON_DAYS
    if form.is_valid() and form.cleaned_data["within"]:
        horizon = form.cleaned_data["within"]
    elif not form.is_bound:
        form = HorizonForm(initial={"within": horizon})
    today = timezone.localdate()
    can_book = request.user.has_perm("patients.add_visit")
    # The lists are the same for everybody until a clinical or reference row changes (every clinical change
    # leaves a history row and every reference change bumps the reference version, so the revision moves).
    # The time limit bounds the one case the revision can miss: two clinical writes committing out of order,
    # the later-numbered first. ASCII without spaces, under 250 bytes: a key every cache backend takes.
    key = f"planner.clinic.worklist.{today.isoformat()}.within-{horizon}.book-{int(can_book)}.r{worklist.revision()}"
    cached = cache.get(key)
    if cached is None:
        data = worklist.clinic_worklist(today=today, horizon_days=horizon)
        lists = render_to_string(
            "planner/clinic/includes/worklist_lists.html", {"worklist": data, "can_book": can_book}
        )
        # The patients the lists show are kept with them: each view of the page logs who was shown.
        cached = (lists, data.patient_ids())
        cache.set(key, cached, timeout=WORKLIST_CACHE_SECONDS)
    lists, shown = cached
    log_list_access(request, shown, what="worklist")
    # lists came from render_to_string (autoescaped): the cache keeps it a SafeString.
    context = {"lists": lists, "form": form, "today": today, "horizon_days": horizon}
    return render(request, "planner/clinic/worklist.html", context)


@require_GET
def clinic_figures(request):
    _require(request, "planner.sign_injectionsession")
    form = _range_form(request)
    context = {"form": form}
    if form.is_valid():
        data = figures.clinic_figures(date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
        context.update(figures=data, bars=month_bars(data.months))
        context.update(costs=clinic_costs(date_from=data.date_from, date_to=data.date_to))
    return render(request, "planner/clinic/figures.html", context, status=200 if form.is_valid() else 400)


@require_GET
def export_page(request):
    _require(request, "planner.sign_injectionsession", "patients.view_patient")
    return render(request, "planner/clinic/exports.html", {"form": _range_form(request)})


@require_GET
def export_csv(request, kind):
    _require(request, "planner.sign_injectionsession", "patients.view_patient")
    form = DateRangeForm(request.GET)
    if kind not in EXPORT_KINDS or not form.is_valid():
        return render(request, "planner/clinic/exports.html", {"form": form}, status=400)
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    sessions = list(exports.sessions_in_range(date_from=start, date_to=end))
    text = EXPORT_KINDS[kind](sessions)
    _audit_csv(request, kind, start, end, sessions)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    return response


def _audit_csv(request, kind, start, end, sessions):
    """One EXPORT entry per patient in the file (the audit report filters by patient), or one if empty."""
    what = {"export": f"{kind} CSV", "from": start.isoformat(), "to": end.isoformat()}
    by_patient = {}
    for session in sessions:
        by_patient.setdefault(session.visit.patient, []).append(session.pk)
    common = {"action": AuditEvent.Action.EXPORT, "request": request, "object_type": "planner.injectionsession"}
    if not by_patient:
        audit_record(**common, object_repr=f"{kind} CSV (no sessions)", changes={**what, "sessions": 0})
    for patient, session_ids in by_patient.items():
        audit_record(
            **common,
            object_repr=f"{kind} CSV: {patient}",
            patient_id=patient.pk,
            changes={**what, "sessions": session_ids},
        )


@require_GET
def patient_summary(request, pk):
    patient = _patient(request, pk)
    data = summary.patient_summary(patient)
    log_access(request, patient, patient_id=patient.pk, what="treatment summary")
    return render(request, "planner/clinic/summary.html", {"summary": data, "patient": patient})


@require_GET
def patient_summary_pdf(request, pk):
    patient = _patient(request, pk)
    data = summary.patient_summary(patient)
    pdf = summary.summary_pdf(data, generated_by=request.user)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        request=request,
        obj=patient,
        patient_id=patient.pk,
        changes={"export": "treatment summary PDF", "sessions": len(data.cycles)},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"treatment-summary-{patient.mrn}-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def patient_fhir(request, pk):
    patient = _patient(request, pk)
    bundle = exports.fhir_bundle(patient, timestamp=timezone.now())
    audit_record(
        action=AuditEvent.Action.EXPORT,
        request=request,
        obj=patient,
        patient_id=patient.pk,
        changes={"export": "FHIR R4 bundle", "resources": len(bundle["entry"])},
    )
    response = HttpResponse(json.dumps(bundle, ensure_ascii=False, indent=2), content_type="application/fhir+json")
    name = f"treatment-record-{patient.mrn}-fhir-r4.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
