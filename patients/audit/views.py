import csv
import functools
from dataclasses import dataclass
from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from patients.audit.csvsafe import safe_row
from patients.audit.models import AuditEvent
from patients.audit.selectors import events_visible_to, may_read_clinical_entries
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


def filtered_events(form, visible):
    """``visible`` (selectors.events_visible_to) narrowed by the filters; a patient filter only
    ever finds entries the user may read."""
    events = with_patient_mrn(visible)
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


# What a report row shows (the hashes, path and ids are in the CSV).
REPORT_FIELDS = (
    "occurred_at",
    "actor_username",
    "action",
    "object_type",
    "object_repr",
    "patient_id",
    "ip_address",
    "changes",
    "reason",
)
# Long values are shortened on the page (the CSV has them in full).
SHOWN_CHARACTERS = 300
ACTION_LABELS = dict(AuditEvent.Action.choices)
CHANGED_TO = mark_safe('<span aria-hidden="true">→</span><span class="visually-hidden">changed to</span>')


@dataclass(frozen=True)
class ReportRow:
    """One entry of the report, formatted once in Python: fifty entries through template filters
    and nested loops were most of the page's cost."""

    iso_time: str  # for <time datetime>
    time_text: str  # "2026-11-28 14:05:09", in the clinic's time zone
    who: str
    action: str
    record: str
    patient_html: str  # "123 (MRN AB123456)", or "" for an entry about no patient
    address: str
    changes_html: str  # a <div> per changed field ("old → new" or the value), then the reason


def _shown(text):
    return Truncator(text).chars(SHOWN_CHARACTERS) if len(text) > SHOWN_CHARACTERS else text


def _change_line(line):
    if line.is_change:
        return format_html(
            "<div><strong>{}</strong>: {} {} {}</div>", line.field, _shown(line.old), CHANGED_TO, _shown(line.new)
        )
    return format_html("<div><strong>{}</strong>: {}</div>", line.field, _shown(line.value))


def report_rows(events):
    """The rows of a page of entries (annotated with ``patient_mrn``)."""
    rows = []
    for event in events:
        when = timezone.localtime(event.occurred_at)
        patient_html = ""
        if event.patient_id:
            patient_html = str(event.patient_id)
            if event.patient_mrn:
                patient_html = format_html(
                    '{} <span class="text-body-secondary">(MRN {})</span>', event.patient_id, event.patient_mrn
                )
        changes_html = format_html_join("", "{}", ((_change_line(line),) for line in event.change_lines()))
        if event.reason:
            changes_html += format_html("<div><strong>reason</strong>: {}</div>", _shown(event.reason))
        rows.append(
            ReportRow(
                iso_time=when.isoformat(),
                time_text=when.strftime("%Y-%m-%d %H:%M:%S"),
                who=event.actor_username or "—",
                action=ACTION_LABELS.get(event.action, event.action),
                record=f"{event.object_type} {event.object_repr}",
                patient_html=patient_html,
                address=event.ip_address or "",
                changes_html=changes_html,
            )
        )
    return rows


@require_GET
@permission_required("audit.view_audit_report", raise_exception=True)
def audit_report(request):
    form = AuditFilterForm(request.GET or None)
    visible = events_visible_to(request.user)
    events = filtered_events(form, visible) if request.GET else with_patient_mrn(visible.order_by("-id"))
    page = Paginator(events.only(*REPORT_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/report.html",
        {
            "form": form,
            "filter_fields": filter_fields_html(form) if form.is_bound else blank_filter_fields_html(),
            "page": page,
            "rows": report_rows(page),
            "query": query.urlencode(),
            "shows_clinical_entries": may_read_clinical_entries(request.user),
        },
    )


def filter_fields_html(form):
    return render_to_string("audit/report.html#filter_fields", {"form": form})


@functools.cache
def blank_filter_fields_html():
    """The filter fields with nothing typed in: the same HTML for every request (it depends only on the
    form class and the templates, i.e. on the code), so each process renders it once; an edit to them
    shows after a restart, as a code edit does. Rendering the seven crispy fields cost more than the
    fifty entries of the report."""
    return filter_fields_html(AuditFilterForm())


class _Echo:
    def write(self, value):
        return value


@require_GET
@permission_required("audit.view_audit_report", raise_exception=True)
def audit_report_csv(request):
    form = AuditFilterForm(request.GET)
    events = filtered_events(form, events_visible_to(request.user))
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
            # Usernames tried at sign-in, record names and reasons are typed by anyone: no formulas.
            yield writer.writerow(
                safe_row(
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
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
    return response
