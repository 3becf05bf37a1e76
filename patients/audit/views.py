import csv
import dataclasses
import functools

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from patients.audit.csvsafe import safe_row
from patients.audit.filters import AuditEventFilter
from patients.audit.models import AuditEvent
from patients.audit.selectors import events_visible_to, may_read_clinical_entries
from patients.audit.services import audit_record
from patients.models import Patient

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


def with_patient_mrn(events):
    """Each entry's patient's current MRN, in the same query (the entry keeps only the number)."""
    return events.annotate(patient_mrn=Subquery(Patient.objects.filter(pk=OuterRef("patient_id")).values("mrn")[:1]))


def filtered_events(data, user):
    """The entries ``user`` may read (selectors.events_visible_to), newest first, narrowed and ordered by
    the filters in ``data`` (None: no filter); a patient filter only ever finds entries the user may read."""
    filters = AuditEventFilter(data, queryset=with_patient_mrn(events_visible_to(user)).order_by("-id"))
    return filters, filters.events


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


@dataclasses.dataclass(frozen=True)
class ReportRow:
    """One entry of the report, its values formatted once in Python (templates/audit/report.html#row
    shows them): fifty entries through template filters were most of the page's cost."""

    iso_time: str  # for <time datetime>
    time_text: str  # "2026-11-28 14:05:09", in the clinic's time zone
    who: str
    action: str
    record: str
    patient_id: int | None
    patient_mrn: str | None  # the patient's current MRN
    address: str
    changes: tuple  # ChangeLine per changed field ("old → new" or the value), shortened
    reason: str  # shortened


def _shown(text):
    return Truncator(text).chars(SHOWN_CHARACTERS) if len(text) > SHOWN_CHARACTERS else text


def report_rows(events):
    """The rows of a page of entries (annotated with ``patient_mrn``)."""
    rows = []
    for event in events:
        when = timezone.localtime(event.occurred_at)
        rows.append(
            ReportRow(
                iso_time=when.isoformat(),
                time_text=when.strftime("%Y-%m-%d %H:%M:%S"),
                who=event.actor_username or "—",
                action=ACTION_LABELS.get(event.action, event.action),
                record=f"{event.object_type} {event.object_repr}",
                patient_id=event.patient_id,
                patient_mrn=event.patient_mrn,
                address=event.ip_address or "",
                changes=tuple(
                    dataclasses.replace(line, old=_shown(line.old), new=_shown(line.new), value=_shown(line.value))
                    for line in event.change_lines()
                ),
                reason=_shown(event.reason),
            )
        )
    return rows


@require_GET
@permission_required("audit.view_audit_report", raise_exception=True)
def audit_report(request):
    filters, events = filtered_events(request.GET or None, request.user)
    page = Paginator(events.only(*REPORT_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/report.html",
        {
            "form": filters.form,
            "filter_fields": filter_fields_html(filters.form) if filters.is_bound else blank_filter_fields_html(),
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
    filters and the templates, i.e. on the code), so each process renders it once; an edit to them
    shows after a restart, as a code edit does. Rendering the seven crispy fields cost more than the
    fifty entries of the report."""
    return filter_fields_html(AuditEventFilter().form)


class _Echo:
    def write(self, value):
        return value


@require_GET
@permission_required("audit.view_audit_report", raise_exception=True)
def audit_report_csv(request):
    _filters, events = filtered_events(request.GET, request.user)
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
