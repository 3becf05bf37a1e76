"""The audit report's filters (django-filter): who, which patient (by number or by any MRN they have had),
what, when, and the order. The report and its CSV apply them to ``selectors.events_visible_to``, so a
filter only ever narrows what the user may read."""

from datetime import datetime, time

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from patients.audit.models import AuditEvent
from patients.models import Patient
from patients.text import MRN_MAX_LENGTH, normalise_mrn

SORTS = {
    "newest": "-id",
    "oldest": "id",
    "user": "actor_username",
    "action": "action",
}


class AuditFilterForm(forms.Form):
    """The form django-filter builds the filters' fields onto: MRN normalising and the date check."""

    def clean_mrn(self):
        return normalise_mrn(self.cleaned_data["mrn"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class PatientNumberFilter(django_filters.NumberFilter):
    """A patient's number is a whole number (NumberFilter's field takes decimals)."""

    field_class = forms.IntegerField


def _day_start(day):
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def _day_end(day):
    return datetime.combine(day, time.max, timezone.get_current_timezone())


class AuditEventFilter(django_filters.FilterSet):
    """Filter the queryset given (ordered newest first) by what was typed; ``sort`` orders it."""

    user = django_filters.CharFilter(
        label="User name", field_name="actor_username", lookup_expr="icontains", max_length=150
    )
    patient = PatientNumberFilter(
        label="Patient number",
        field_name="patient_id",
        min_value=1,
        help_text="The number in the patient's chart address.",
    )
    mrn = django_filters.CharFilter(
        label="Patient MRN",
        method="filter_mrn",
        max_length=MRN_MAX_LENGTH * 2,  # room for the spaces and dashes people type
        help_text="Any MRN the patient has had; spaces and dashes are ignored.",
    )
    action = django_filters.ChoiceFilter(label="Action", choices=AuditEvent.Action.choices, empty_label="Any action")
    date_from = django_filters.DateFilter(
        label="From", method="filter_date_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label="To", method="filter_date_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        method="sort_by",
        empty_label=None,
        choices=[("newest", "Newest first"), ("oldest", "Oldest first"), ("user", "User"), ("action", "Action")],
    )

    class Meta:
        model = AuditEvent
        fields = []  # only the filters declared above
        form = AuditFilterForm

    def filter_mrn(self, events, name, mrn):
        # The patient who has this MRN now, or had it before it was corrected (their history says).
        return events.filter(
            Q(patient_id__in=Patient.objects.filter(mrn=mrn).values("pk"))
            | Q(patient_id__in=Patient.history.filter(mrn=mrn).values("id"))
        )

    def filter_date_from(self, events, name, day):
        return events.filter(occurred_at__gte=_day_start(day))

    def filter_date_to(self, events, name, day):
        return events.filter(occurred_at__lte=_day_end(day))

    def sort_by(self, events, name, sort):
        return events.order_by(SORTS[sort], "-id")

    @property
    def events(self):
        """The matching entries; none while what was typed is invalid (its messages show at the fields)."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs
