"""Conditions, medicines and toxin given elsewhere on the patient (issue 14): writes, reads, forms, chart.

Services take keyword-only arguments and the acting user, run in one transaction each and never
delete: a condition is ended (a "to" date) or, when recorded in error, deactivated; a dose given
elsewhere recorded in error is deactivated. The history keeps who changed what.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from patients.chart import ChartSection
from planner.models import ConditionCode, OutsideToxinDose, PatientCondition, Product

INACTIVE_PATIENT = "This patient is inactive: reactivate them before recording."


def _save(instance, acting_user, **clean):
    instance._history_user = acting_user
    instance.full_clean(**clean)
    instance.save()
    return instance


def _require_active(patient):
    if not patient.active:
        raise ValidationError(INACTIVE_PATIENT, code="inactive_patient")


# --- services ---------------------------------------------------------------------------------------------


@transaction.atomic
def condition_record(*, patient, code, since=None, until=None, note="", product=None, acting_user):
    """Record a coded condition or medicine on the patient."""
    _require_active(patient)
    errors = {}
    if not code.is_active:
        errors["code"] = "This code is no longer in use: choose another."
    if code.per_product and product is None:
        errors["product"] = f"Choose the product: '{code.name}' applies to one product."
    if not code.per_product and product is not None:
        errors["product"] = f"'{code.name}' does not name a product: leave the product empty."
    today = timezone.localdate()
    if since is not None and since > today:
        errors["since"] = "The start date is in the future: record it when it starts."
    if since is not None and until is not None and until < since:
        errors["until"] = "The end date is before the start date."
    if errors:
        raise ValidationError(errors)
    entry = PatientCondition(
        patient=patient,
        code=code,
        product=product,
        since=since,
        until=until,
        note=note.strip(),
        recorded_by=acting_user,
    )
    return _save(entry, acting_user)


@transaction.atomic
def condition_end(*, entry, until, acting_user, in_error=False):
    """End a condition on ``until``; ``in_error`` deactivates it instead (recorded by mistake, kept)."""
    locked = PatientCondition.objects.select_for_update().select_related("patient", "code").get(pk=entry.pk)
    _require_active(locked.patient)
    if not locked.is_active:
        raise ValidationError("This entry was already removed as recorded in error.")
    if in_error:
        locked.is_active = False
        return _save(locked, acting_user)
    if until is None:
        raise ValidationError({"until": "Give the date it ended."})
    if locked.since is not None and until < locked.since:
        raise ValidationError({"until": f"The end date is before the start date ({locked.since:%d %b %Y})."})
    locked.until = until
    return _save(locked, acting_user)


@transaction.atomic
def outside_dose_record(*, patient, product, dose, given_on, indication, given_where="", note="", acting_user):
    """Record toxin given elsewhere, in the units of ``product`` (never converted)."""
    _require_active(patient)
    if given_on is not None and given_on > timezone.localdate():
        raise ValidationError({"given_on": "The date is in the future: record a dose once it has been given."})
    record = OutsideToxinDose(
        patient=patient,
        product=product,
        dose=dose,
        given_on=given_on,
        indication=indication.strip(),
        given_where=given_where.strip(),
        note=note.strip(),
        recorded_by=acting_user,
    )
    return _save(record, acting_user)


@transaction.atomic
def outside_dose_deactivate(*, record, acting_user):
    """Mark a dose given elsewhere as recorded in error: kept, no longer counted."""
    locked = OutsideToxinDose.objects.select_for_update().select_related("patient").get(pk=record.pk)
    _require_active(locked.patient)
    if not locked.is_active:
        raise ValidationError("This dose was already removed as recorded in error.")
    locked.is_active = False
    return _save(locked, acting_user)


# --- reads ------------------------------------------------------------------------------------------------


def patient_conditions(patient):
    """Every active entry, current ones first, then by start date, newest first (one query)."""
    today = timezone.localdate()
    entries = list(
        PatientCondition.objects.filter(patient=patient, is_active=True).select_related(
            "code", "product", "recorded_by"
        )
    )
    entries.sort(key=lambda entry: (not entry.is_current_on(today), -(entry.since or today).toordinal(), -entry.pk))
    return entries


def patient_outside_doses(patient):
    return list(
        OutsideToxinDose.objects.filter(patient=patient, is_active=True)
        .select_related("product", "recorded_by")
        .order_by("-given_on", "-pk")
    )


# --- forms ------------------------------------------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConditionForm(forms.Form):
    code = forms.ModelChoiceField(
        label="Condition or medicine",
        queryset=ConditionCode.objects.none(),
        empty_label="Choose…",
        error_messages={"required": "Choose the condition or medicine."},
    )
    product = forms.ModelChoiceField(
        label="Product",
        queryset=Product.objects.none(),
        required=False,
        help_text="Only for a hypersensitivity to one product.",
    )
    since = forms.DateField(label="From", required=False, widget=DATE, help_text="Leave blank if not known.")
    until = forms.DateField(label="To", required=False, widget=DATE, help_text="Leave blank while it lasts.")
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = ConditionCode.objects.filter(is_active=True).order_by("kind", "name")
        self.fields["code"].queryset = codes
        groups = {}
        for code in codes:
            groups.setdefault(code.get_kind_display().capitalize() + "s", []).append((code.pk, code.name))
        self.fields["code"].choices = [("", "Choose…"), *groups.items()]
        self.fields["product"].queryset = Product.objects.filter(is_active=True)
        self.fields["product"].empty_label = "No product"


class ConditionEndForm(forms.Form):
    until = forms.DateField(label="Ended on", required=False, widget=DATE)
    in_error = forms.BooleanField(label="Recorded in error: remove it (it is kept in the history)", required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("in_error") and cleaned.get("until") is None and "until" not in self.errors:
            self.add_error("until", "Give the date it ended, or tick 'recorded in error'.")
        return cleaned


class OutsideDoseForm(forms.ModelForm):
    class Meta:
        model = OutsideToxinDose
        fields = ["product", "dose", "given_on", "indication", "given_where", "note"]
        widgets = {"given_on": DATE, "note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"dose": "In the units of the product given: never converted to another product's units."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True)
        self.fields["product"].empty_label = "Choose…"


# --- the chart section ------------------------------------------------------------------------------------


def conditions_section(*, user, patient, records):
    """Conditions, medicines and toxin given elsewhere, at the top of the chart, current ones first."""
    if not user.has_perm("planner.view_patientcondition"):
        return None
    today = timezone.localdate()
    entries = patient_conditions(patient)
    html = render_to_string(
        "planner/conditions/chart_section.html",
        {
            "patient": patient,
            "entries": [(entry, entry.is_current_on(today)) for entry in entries],
            "doses": patient_outside_doses(patient),
            "under_18": patient.age_on(today) < 18,
            "can_record": user.has_perm("planner.add_patientcondition") and patient.active,
            "can_end": user.has_perm("planner.change_patientcondition") and patient.active,
            "can_record_dose": user.has_perm("planner.add_outsidetoxindose") and patient.active,
            "can_remove_dose": user.has_perm("planner.change_outsidetoxindose") and patient.active,
        },
    )
    return ChartSection(
        "conditions", "Conditions, medicines and toxin given elsewhere", html, ("css/conditions.css",), "top"
    )
