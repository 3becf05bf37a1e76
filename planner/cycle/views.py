"""The end of a treatment cycle: its response, the after-care handout (page and PDF).

One permission helper per object: a signed session the user may read (planner.view_injectionsession);
recording a response also needs patients.add_cycleresponse and patients.change_cycleresponse (nurses
and neurologists). Each view writes to the access log.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from patients.audit.services import log_access
from patients.response import CycleResponse
from patients.response_services import RESPONSE_FIELDS, cycle_response_record
from patients.services import record_version
from planner.cycle.forms import CycleResponseForm
from planner.documents.handout import handout_for_session
from planner.models import InjectionSession
from planner.plans import selectors

RESPONSE_PERMISSIONS = ("patients.add_cycleresponse", "patients.change_cycleresponse")
NUMBER_FIELDS = ("reported_on", "onset_week", "peak_week", "wear_off_week", "benefit_percent")


def _signed_session(request, pk, *permissions):
    """A signed session the user may read (and, with ``permissions``, act on); 404 for a draft."""
    if not all(request.user.has_perm(p) for p in ("planner.view_injectionsession", *permissions)):
        raise PermissionDenied
    try:
        session = selectors.session_for_view(pk)
    except InjectionSession.DoesNotExist:
        raise Http404("No such injection session.") from None
    if not session.is_signed:
        raise Http404("This plan is not signed: a handout or response needs a signed session.")
    return session


@require_http_methods(["GET", "POST"])
def response_record(request, pk):
    session = _signed_session(request, pk, *RESPONSE_PERMISSIONS)
    visit = session.visit
    current = CycleResponse.objects.filter(visit=visit).first()
    form = CycleResponseForm(
        request.POST or None,
        instance=current or CycleResponse(visit=visit),
        initial={"version": record_version(current)} | ({} if current else _first_answers(visit)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            cycle_response_record(
                visit=visit,
                acting_user=request.user,
                seen_version=form.seen_version(),
                reported_on=form.cleaned_data["reported_on"],
                **{name: form.cleaned_data.get(name) for name in RESPONSE_FIELDS},
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, f"Response to the session of {visit.date:%d %b %Y} saved.")
            return redirect("plans:editor", pk=session.pk)
    log_access(request, session, patient_id=visit.patient_id, what="cycle response form")
    return render(
        request,
        "planner/cycle_response_form.html",
        {
            "session": session,
            "visit": visit,
            "patient": visit.patient,
            "form": form,
            "number_fields": [form[name] for name in NUMBER_FIELDS],
        },
        status=400 if request.method == "POST" else 200,
    )


def _first_answers(visit):
    """A new response starts from the next visit's PGIC, date and "at a visit" when there is one (the
    same question asked there), else from today by phone; the nurse changes what the patient says."""
    follow_up = (
        visit.patient.visits.filter(date__gt=visit.date, outcome__pgic__isnull=False)
        .select_related("outcome")
        .order_by("date")
        .first()
    )
    if follow_up is None:
        return {"reported_on": timezone.localdate(), "reported_via": CycleResponse.Source.PHONE}
    return {"reported_on": follow_up.date, "reported_via": CycleResponse.Source.VISIT, "pgic": follow_up.outcome.pgic}


def _handout_context(session):
    return {
        "session": session,
        "visit": session.visit,
        "patient": session.visit.patient,
        "handout": handout_for_session(session),
        "clinic_name": getattr(settings, "CLINIC_NAME", ""),
    }


def _replaced_by(session):
    """The signed amendment that replaced this record, if any: the handout describes what was given."""
    amendment = selectors.amendment_of(session)
    return amendment if amendment is not None and amendment.is_signed else None


@require_GET
def handout(request, pk):
    session = _signed_session(request, pk)
    if amendment := _replaced_by(session):
        return redirect("plans:handout", pk=amendment.pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="after-care handout")
    return render(request, "planner/handout.html", _handout_context(session))


@require_GET
def handout_pdf(request, pk):
    from weasyprint import HTML

    session = _signed_session(request, pk)
    if amendment := _replaced_by(session):
        return redirect("plans:handout_pdf", pk=amendment.pk)
    log_access(request, session, patient_id=session.visit.patient_id, what="after-care handout PDF")
    with open(finders.find("css/handout.css"), encoding="utf-8") as css:
        context = {**_handout_context(session), "pdf_css": css.read()}
    html = render_to_string("planner/handout_pdf.html", context, request=request)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"after-care-{session.visit.patient.mrn}-{session.visit.date:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
