"""Forms for the reference data: the admin's edit forms and the product page's dilution calculator."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError

from planner.models import Product
from planner.reference import numbers
from planner.reference.dilution import DilutionError, strength_for, volume_to_draw
from planner.reference.formatting import amount

HUNDREDTH = Decimal("0.01")


class VialSizesField(forms.CharField):
    """Units per vial typed as "50, 100, 200"; stored as a list of numbers."""

    def prepare_value(self, value):
        if isinstance(value, list):
            # A stored list that is not valid (saved before validation) is shown as it is, to be corrected.
            if numbers.vial_sizes_problem(value):
                return ", ".join(str(size) for size in value)
            return ", ".join(amount(size) for size in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return numbers.vial_sizes(part.strip() for part in text.split(",") if part.strip())


class SourcedAdminForm(forms.ModelForm):
    """The admin form of every curated table: the review checkbox and the checks on sources."""

    mark_reviewed = forms.BooleanField(
        required=False,
        label="I have checked this row against its sources",
        help_text="Records you as its reviewer, now. Saving changed values without ticking this clears the "
        "previous review: a review vouches for the values it saw.",
    )

    def clean(self):
        cleaned = super().clean()
        related = {name: list(cleaned[name]) for name in ("sources", "products") if name in cleaned}
        try:
            self.instance.clean_related(related)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)
        return cleaned

    @property
    def values_changed(self):
        return any(name != "mark_reviewed" for name in self.changed_data)


class ProductAdminForm(SourcedAdminForm):
    vial_sizes = VialSizesField(label="Vial sizes (units)", help_text="Units per vial, separated by commas.")


@dataclass(frozen=True)
class DilutionResult:
    per_0_1_ml: str
    per_ml: str
    dose: str = ""
    volume_ml: str = ""
    volume_exact: str = ""  # shown when rounding to 0.01 mL changed the volume
    listed: object = None  # the product's DiluentVolume row for this vial and volume, if it has one


def _rounded(value):
    return amount(value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP))


class DilutionForm(forms.Form):
    """Vial, diluent and (optionally) a dose: GET parameters, so the page works without JavaScript."""

    vial_units = forms.TypedChoiceField(label="Vial", coerce=Decimal)
    diluent_ml = forms.DecimalField(
        label="Diluent (mL of 0.9% saline)",
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "list": "diluent-volumes", "inputmode": "decimal"}),
    )
    dose_units = forms.DecimalField(
        label="Dose to draw (units)",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["vial_units"].choices = [
            (str(size), f"{amount(size)} {product.units_label}") for size in product.usable_vial_sizes
        ]
        self.fields["dose_units"].label = f"Dose to draw ({product.units_label})"
        if product.form == Product.Form.SOLUTION:
            self.fields["diluent_ml"].label = "Saline added (mL, 0 for none)"
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "vial_units" else "form-control"
        self.strength = self.volume = None

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}_errors"}
                )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.strength = strength_for(
                self.product, vial_units=cleaned["vial_units"], diluent_ml=cleaned["diluent_ml"]
            )
            if cleaned.get("dose_units") is not None:
                self.volume = volume_to_draw(dose_units=cleaned["dose_units"], of=self.strength)
        except DilutionError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned

    @property
    def result(self):
        """The computed strength and volume, formatted, or None before a valid calculation."""
        if self.errors or self.strength is None:
            return None
        vial, diluent = self.cleaned_data["vial_units"], self.cleaned_data["diluent_ml"]
        listed = next(
            (
                row
                for row in self.product.diluent_volumes.all()
                if row.diluent_ml == diluent and row.vial_units in (vial, None)
            ),
            None,
        )
        result = DilutionResult(
            per_0_1_ml=_rounded(self.strength.per_0_1_ml), per_ml=_rounded(self.strength.per_ml), listed=listed
        )
        if self.volume is None:
            return result
        volume = _rounded(self.volume)
        exact = amount(self.volume.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
        return DilutionResult(
            per_0_1_ml=result.per_0_1_ml,
            per_ml=result.per_ml,
            listed=listed,
            dose=amount(self.cleaned_data["dose_units"]),
            volume_ml=volume,
            volume_exact=exact if exact != volume else "",
        )
