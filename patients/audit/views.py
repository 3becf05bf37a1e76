import csv
from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from patients.audit.models import AuditEvent
from patients.audit.services import audit_record
from patients.models import Patient
from patients.text import MRN_MAX_LENGTH, normalise_mrn

SORTS = {
    "newest": "-id",
    "oldest": "id",
    "user": "actor_username",
    "action": "action",
}
PAGE_SIZE = 50
CSV_COLUMNS = [
    "id",
    "occurred_at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "patient_id",
    "patient_mrn",
    "ip_address",
    "path",
    "reason",
    "changes",
    "hash",
]


class AuditFilterForm(forms.Form):
    user = forms.CharField(label="User name", required=False, max_length=150)
    patient = forms.IntegerField(
        label="Patient number", required=False, min_value=1, help_text="The number in the patient's chart address."
    )
    mrn = forms.CharField(
        label="Patient MRN",
        required=False,
        max_length=MRN_MAX_LENGTH * 2,  # room for the spaces and dashes people type
        help_text="Any MRN the patient has had; spaces and dashes are ignored.",
    )
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *AuditEvent.Action.choices])
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[("newest", "Newest first"), ("oldest", "Oldest first"), ("user", "User"), ("action", "Action")],
    )

    def clean_mrn(self):
        return normalise_mrn(self.cleaned_data["mrn"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


def with_patient_mrn(events):
    """Each entry's patient's current MRN, in the same query (the entry keeps only the number)."""
    return events.annotate(patient_mrn=Subquery(Patient.objects.filter(pk=OuterRef("patient_id")).values("mrn")[:1]))


def filtered_events(form):
    events = with_patient_mrn(AuditEvent.objects.all())
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    if data["user"]:
        events = events.filter(actor_username__icontains=data["user"])
    if data["patient"]:
        events = events.filter(patient_id=data["patient"])
    if data["mrn"]:
        # The patient who has this MRN now, or had it before it was corrected (their history says).
        events = events.filter(
            Q(patient_id__in=Patient.objects.filter(mrn=data["mrn"]).values("pk"))
            | Q(patient_id__in=Patient.history.filter(mrn=data["mrn"]).values("id"))
        )
    if data["action"]:
        events = events.filter(action=data["action"])
    zone = timezone.get_current_timezone()
    if data["date_from"]:
        events = events.filter(occurred_at__gte=datetime.combine(data["date_from"], time.min, zone))
    if data["date_to"]:
        events = events.filter(occurred_at__lte=datetime.combine(data["date_to"], time.max, zone))
    return events.order_by(SORTS.get(data["sort"] or "newest"), "-id")


@require_GET
@permission_required("audit.view_audit_report", raise_exception=True)
def audit_report(request):
    form = AuditFilterForm(request.GET or None)
    events = filtered_events(form) if request.GET else with_patient_mrn(AuditEvent.objects.order_by("-id"))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/report.html",
        {
            "form": form if request.GET else AuditFilterForm(),
            "page": page,
            "query": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value):
        return value


@require_GET
@permission_required("audit.view_audit_report", raise_exception=True)
def audit_report_csv(request):
    form = AuditFilterForm(request.GET)
    events = filtered_events(form)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        request=request,
        object_type="audit.auditevent",
        object_repr="audit report CSV",
        changes={"filters": request.GET.dict()},
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.id,
                    event.occurred_at.isoformat(),
                    event.actor_username,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.object_repr,
                    event.patient_id or "",
                    event.patient_mrn or "",
                    event.ip_address or "",
                    event.path,
                    event.reason,
                    event.changes,
                    event.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
    return response
