from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.html import escape

from patients.sides import SIDE_CHOICES
from planner.models import InjectionSession, Muscle, Product
from planner.plans.services import lot_expiry_refusal
from planner.rules.policy import MAX_DOSE


class MuscleChoiceField(forms.ModelChoiceField):
    # {pk: Muscle} of the queryset's muscles when the caller loaded them already (see BaseRowFormSet).
    loaded = None

    def label_from_instance(self, muscle):
        return muscle.name

    def to_python(self, value):
        if self.loaded is None or value in self.empty_values:
            return super().to_python(value)
        try:
            return self.loaded[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class PlanForm(forms.Form):
    product = forms.ModelChoiceField(
        label="Product",
        queryset=Product.objects.filter(is_active=True),
        required=False,
        empty_label="Choose the product…",
        help_text="Doses are in this product's own units. Changing it clears every dose.",
    )
    # The product whose units the doses were typed in (see views._doses_in_chosen_product).
    doses_product = forms.CharField(required=False, widget=forms.HiddenInput)
    default_guidance = forms.ChoiceField(
        label="Guidance for new rows",
        choices=InjectionSession.Guidance.choices,
        initial="anatomical",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RowForm(forms.Form):
    muscle = MuscleChoiceField(
        label="Muscle",
        queryset=Muscle.objects.filter(is_active=True),
        error_messages={"invalid_choice": "This muscle is not in the list of muscles in use."},
    )
    side = forms.ChoiceField(label="Side", choices=SIDE_CHOICES)
    dose = forms.DecimalField(
        label="Dose (units)",
        required=False,
        min_value=Decimal("0.01"),
        max_value=MAX_DOSE,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    sites = forms.IntegerField(label="Sites", min_value=1, max_value=20, initial=1)
    guidance = forms.ChoiceField(label="Guidance", choices=InjectionSession.Guidance.choices)
    remove = forms.BooleanField(label="Remove", required=False)

    def __init__(self, *args, muscles=None, **kwargs):
        """``muscles``: {pk: Muscle} of the active muscles, when the formset loaded them for every row."""
        super().__init__(*args, **kwargs)
        self.fields["muscle"].loaded = muscles

    def full_clean(self):
        super().full_clean()
        remove = self.fields["remove"]
        if self.is_bound and remove.clean(
            remove.widget.value_from_datadict(self.data, self.files, self.add_prefix("remove"))
        ):
            # A row being removed needs nothing else to be valid: its muscle may have been retired since it
            # was planned, and refusing the row would leave no way to save the plan without it.
            self._errors = forms.utils.ErrorDict()
            self.cleaned_data = {"remove": True}


MALFORMED_ROWS = (
    "The list of rows was not sent correctly ({problem}): nothing was saved. Reload the page and try again."
)


class StrictFormSet(forms.BaseFormSet):
    """A formset that refuses a malformed row count instead of reading it as "no rows".

    Django reads rows-TOTAL_FORMS=-1 as zero forms, so saving such a request removed every row; a count
    that is missing, not a number or negative is refused, and nothing is saved.
    """

    default_error_messages = {
        "missing_management_form": MALFORMED_ROWS.replace("{problem}", "%(field_names)s missing or not a number"),
    }

    def clean(self):
        counts = self.management_form.cleaned_data
        total, initial = counts.get(forms.formsets.TOTAL_FORM_COUNT), counts.get(forms.formsets.INITIAL_FORM_COUNT)
        if total is None or initial is None:
            return  # the management form's own error says which field is missing
        if total < 0 or initial < 0:
            raise ValidationError(MALFORMED_ROWS.format(problem="a negative count"), code="malformed_formset")


class BaseRowFormSet(StrictFormSet):
    def get_form_kwargs(self, index):
        # One query for every row's muscle, instead of one per row.
        return {**super().get_form_kwargs(index), "muscles": self.active_muscles}

    @cached_property
    def active_muscles(self):
        return self.form.base_fields["muscle"].queryset.in_bulk()

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("remove"):
                continue
            key = (form.cleaned_data["muscle"].pk, form.cleaned_data["side"])
            if key in seen:
                muscle = form.cleaned_data["muscle"]
                raise ValidationError(
                    f"{form.cleaned_data['side'].capitalize()} {muscle.name.lower()} is listed twice."
                )
            seen.add(key)


RowFormSet = forms.formset_factory(RowForm, formset=BaseRowFormSet, extra=0, max_num=40, validate_max=True)


class AddMuscleForm(forms.Form):
    add_muscle = MuscleChoiceField(
        label="Add another muscle",
        queryset=Muscle.objects.filter(is_active=True),
        required=False,
        empty_label="Choose a muscle…",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    add_side = forms.ChoiceField(
        label="Side",
        choices=SIDE_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def _plain(amount):
    """100.00 -> "100", 12.50 -> "12.5": a vial size as the select's option value."""
    return f"{Decimal(amount).normalize():f}"


class PreparationForm(forms.Form):
    lot_number = forms.CharField(label="Lot number", max_length=40)
    lot_expiry = forms.DateField(label="Lot expiry date", widget=forms.DateInput(attrs={"type": "date"}))
    vial_units = forms.DecimalField(
        label="Vial size (units)", min_value=Decimal("0.01"), max_digits=8, decimal_places=2
    )
    vial_count = forms.IntegerField(label="Vials used", min_value=1, max_value=50)
    diluent_ml = forms.DecimalField(
        label="Diluent per vial (mL)",
        min_value=Decimal("0"),
        max_value=Decimal("20"),
        max_digits=6,
        decimal_places=2,
        help_text="0.9% sodium chloride. 0 for a ready-to-use solution used as supplied.",
    )
    reconstituted_at = forms.DateTimeField(
        label="Reconstituted at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the saline was added. Past the product's use-by time the session cannot be signed.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, product=None, visit_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.visit_date = visit_date
        # Crispy renders help_text as markup (|safe): these are plain sentences with data in them (the brand
        # name), so they are escaped here; no markup is needed.
        if product is not None and product.vial_sizes_problem:
            self.fields["vial_units"].help_text = escape(product.vial_sizes_problem)
        elif product is not None and product.usable_vial_sizes:
            sizes = ", ".join(f"{size:g}" for size in product.usable_vial_sizes)
            self.fields["vial_units"].help_text = escape(f"{product.brand_name} comes in {sizes} U vials.")
            # The size is chosen from the product's own sizes, not typed; clean() still checks what is posted.
            choices = [(_plain(size), f"{_plain(size)} U") for size in product.usable_vial_sizes]
            self.fields["vial_units"].widget = forms.Select(choices=[("", "Choose the vial size…"), *choices])
            self.fields["vial_units"].widget.attrs["class"] = "form-select"
            if self.initial.get("vial_units") is not None:
                self.initial["vial_units"] = _plain(self.initial["vial_units"])

    def clean(self):
        cleaned = super().clean()
        product = self.product
        vial = cleaned.get("vial_units")
        sizes = [float(size) for size in product.usable_vial_sizes] if product is not None else []
        if product is not None and product.vial_sizes_problem:
            self.add_error("vial_units", product.vial_sizes_problem)
        elif vial is not None and sizes and float(vial) not in sizes:
            listed = ", ".join(f"{size:g}" for size in sizes)
            self.add_error("vial_units", f"{product.brand_name} vials hold {listed} units.")
        diluent = cleaned.get("diluent_ml")
        if product is not None and diluent == 0 and product.form == Product.Form.POWDER:
            self.add_error("diluent_ml", f"{product.brand_name} is a powder: it needs diluent before use.")
        if product is not None and product.form == Product.Form.POWDER and not cleaned.get("reconstituted_at"):
            self.add_error("reconstituted_at", f"Say when the {product.brand_name} was reconstituted.")
        expiry = cleaned.get("lot_expiry")
        if expiry is not None and self.visit_date is not None and expiry < self.visit_date:
            self.add_error("lot_expiry", lot_expiry_refusal(expiry, self.visit_date))
        return cleaned


class SignForm(forms.Form):
    """Per override a required reason, per warning an acknowledgement and optional reason; the next interval.

    The findings only label the fields: the signing gate (services.session_sign) recomputes them and
    decides. Only the neurologist's answers, by finding key, leave this form.
    """

    version = forms.IntegerField(widget=forms.HiddenInput)
    planned_interval_weeks = forms.IntegerField(
        label="Next injection in (weeks)",
        required=False,
        min_value=4,
        max_value=52,
        help_text="Leave empty to follow the product's minimum re-treatment interval. The worklist uses it.",
    )

    def __init__(self, *args, warnings=(), overrides=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.overrides = list(overrides)
        self.warnings = list(warnings)
        for index in range(len(self.overrides)):
            self.fields[f"override_{index}"] = forms.CharField(
                label="Reason for going above this limit (required, kept with the record)",
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": "Write the reason for this override, or change the plan."},
            )
        for index in range(len(self.warnings)):
            self.fields[f"ack_{index}"] = forms.BooleanField(
                label="I have considered this warning and sign anyway", required=False
            )
            self.fields[f"reason_{index}"] = forms.CharField(label="Reason (optional)", required=False, max_length=500)

    def override_fields(self):
        return [(finding, self[f"override_{index}"]) for index, finding in enumerate(self.overrides)]

    def warning_fields(self):
        return [(finding, self[f"ack_{index}"], self[f"reason_{index}"]) for index, finding in enumerate(self.warnings)]

    def clean(self):
        cleaned = super().clean()
        for index, _finding in enumerate(self.warnings):
            if not cleaned.get(f"ack_{index}"):
                self.add_error(f"ack_{index}", "Acknowledge this warning to sign, or change the plan.")
        return cleaned

    def acknowledgements(self):
        """{finding key: reason} for every override and acknowledged warning."""
        answers = {
            finding.key: self.cleaned_data.get(f"override_{index}", "") for index, finding in enumerate(self.overrides)
        }
        for index, finding in enumerate(self.warnings):
            if self.cleaned_data.get(f"ack_{index}"):
                answers[finding.key] = self.cleaned_data.get(f"reason_{index}", "")
        return answers


class AmendForm(forms.Form):
    reason = forms.CharField(
        label="Why does the signed record need correcting?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept with the amendment and in the audit trail. The signed original stays visible.",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 5:
            raise ValidationError("Give the reason in a few words.")
        return reason
