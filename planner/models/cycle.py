"""Reference data for the end of a treatment cycle: billing codes, vial prices, handout text, response policy.

Like every other reference table (planner.models), each row says where it comes from (sources), how
far it was checked (verification) and who reviewed it, keeps its history and is deactivated, never
deleted. `manage.py loadreference` fills them from planner/reference/cycle-reference.yaml.

A drug's billing unit is a count of that same product's units (1 U Botox, 5 U Dysport): nothing here
relates one product's units to another's.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from planner.models.reference import MAX_UNITS, POSITIVE, Product, Sourced, positive_or_null, reference_text
from planner.reference.formatting import amount


class BillingCode(Sourced):
    """One code a claim for a session may carry: the drug's HCPCS code, a modifier, a procedure, a diagnosis."""

    class Kind(models.TextChoices):
        DRUG = "drug", "drug (HCPCS Level II)"
        DISCARD_MODIFIER = "discard_modifier", "modifier: units discarded"
        NO_DISCARD_MODIFIER = "no_discard_modifier", "modifier: no units discarded"
        PROCEDURE = "procedure", "procedure (CPT)"
        BILATERAL_MODIFIER = "bilateral_modifier", "modifier: bilateral procedure"
        EMG_GUIDANCE = "emg_guidance", "add-on: EMG guidance"
        ULTRASOUND_GUIDANCE = "ultrasound_guidance", "add-on: ultrasound guidance"
        DIAGNOSIS = "diagnosis", "diagnosis (ICD-10-CM)"

    code = models.CharField("code", max_length=20, unique=True)
    kind = models.CharField("kind", max_length=30, choices=Kind.choices)
    description = models.CharField("description", max_length=300)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_codes",
        verbose_name="product",
        help_text="Only for a drug code.",
    )
    billing_unit = models.DecimalField(
        "billing unit (units of the product)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE, MAX_UNITS],
        help_text="Only for a drug code: how many of this product's units one billed unit is (1 U, 5 U, 100 U).",
    )
    note = reference_text("note", blank=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="drug") & Q(product__isnull=False) & Q(billing_unit__gt=0))
                | (~Q(kind="drug") & Q(product__isnull=True) & Q(billing_unit__isnull=True)),
                name="billing_code_drug_has_product_and_unit",
            ),
            # One drug code per product in force: two would make the claim ambiguous.
            models.UniqueConstraint(
                fields=["product"], condition=Q(kind="drug", is_active=True), name="billing_code_one_drug_per_product"
            ),
            models.CheckConstraint(condition=positive_or_null("billing_unit"), name="billing_code_unit_positive"),
        ]

    def __str__(self):
        return f"{self.code} ({self.get_kind_display()})"

    @property
    def billing_unit_text(self):
        if self.billing_unit is None:
            return ""
        return f"{amount(self.billing_unit)} {self.product.units_label}"

    def clean(self):
        errors = {}
        if self.kind == self.Kind.DRUG:
            if self.product_id is None:
                errors["product"] = "A drug code names its product."
            if self.billing_unit is None:
                errors["billing_unit"] = "A drug code says how many of the product's units one billed unit is."
        else:
            if self.product_id is not None:
                errors["product"] = "Only a drug code names a product."
            if self.billing_unit is not None:
                errors["billing_unit"] = "Only a drug code has a billing unit."
        if errors:
            raise ValidationError(errors)


# ISO 4217 codes a clinic is likely to pay in; costs are only ever added within one currency.
CURRENCIES = [(code, code) for code in ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK")]


class VialPrice(Sourced):
    """What the clinic pays for one vial of a product, optional; and the vial's NDC where known."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="vial_prices", verbose_name="product")
    vial_units = models.DecimalField(
        "vial size (units)", max_digits=8, decimal_places=2, validators=[POSITIVE, MAX_UNITS]
    )
    price = models.DecimalField(
        "price per vial",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100000"))],
    )
    currency = models.CharField("currency", max_length=3, choices=CURRENCIES, default="USD")
    ndc = models.CharField(
        "NDC",
        max_length=13,
        blank=True,
        help_text="National Drug Code of this vial (11 digits, 5-4-2 with dashes) as on the carton.",
    )
    note = reference_text("note", blank=True)

    class Meta:
        ordering = ["product_id", "vial_units"]
        constraints = [
            models.UniqueConstraint(fields=["product", "vial_units"], name="vial_price_once_per_vial"),
            models.CheckConstraint(condition=Q(vial_units__gt=0), name="vial_price_vial_positive"),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gt=0), name="vial_price_positive"),
        ]

    def __str__(self):
        return f"{self.product.brand_name} {amount(self.vial_units)} U vial"

    @property
    def price_per_unit(self):
        return None if self.price is None else self.price / self.vial_units

    def clean(self):
        errors = {}
        if self.ndc and not _ndc_ok(self.ndc):
            errors["ndc"] = "Write the NDC as 11 digits in the 5-4-2 form with dashes, such as 12345-6789-01."
        if self.product_id and self.vial_units and self.vial_units not in self.product.usable_vial_sizes:
            sizes = self.product.vial_sizes_text
            errors["vial_units"] = f"{self.product.brand_name} comes in vials of {sizes} units, not this size."
        if errors:
            raise ValidationError(errors)


def _ndc_ok(text):
    parts = text.split("-")
    return [len(part) for part in parts] == [5, 4, 2] and all(part.isdigit() for part in parts)


class HandoutText(Sourced):
    """One sentence of the after-care handout, in plain language, for every product or for one.

    The section "non_response" holds the clinician's advice shown with the non-response flag instead.
    """

    class Section(models.TextChoices):
        INTRO = "intro", "what was done today"
        TIMING = "timing", "when it works"
        EXPECTED = "expected", "what to expect"
        NOT_EXPECTED = "not_expected", "what is not expected"
        WARNING = "warning", "warning signs: act at once"
        CONTACT = "contact", "whom to call"
        NEXT = "next", "next session"
        # Not on the handout: the clinician's advice shown with the secondary non-response flag.
        NON_RESPONSE = "non_response", "advice on secondary non-response (clinician)"

    code = models.CharField("code", max_length=40, unique=True)
    section = models.CharField("section", max_length=20, choices=Section.choices)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handout_texts",
        verbose_name="product",
        help_text="Empty: the sentence is for every product.",
    )
    position = models.PositiveSmallIntegerField("order in its section", default=0)
    text = reference_text("sentence")

    class Meta:
        ordering = ["section", "position", "code"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="handout_text_not_empty")]

    def __str__(self):
        return self.code


class ResponsePolicy(Sourced):
    """A threshold for reading responses over cycles: clinic policy, no label publishes it."""

    class Code(models.TextChoices):
        NON_RESPONSE_CYCLES = "non_response_cycles", "consecutive cycles of falling benefit"
        NON_RESPONSE_DROP_POINTS = "non_response_drop_points", "fall in benefit (percentage points) per cycle"
        SHORT_BENEFIT_WEEKS = "short_benefit_weeks", "benefit shorter than this many weeks is short"

    code = models.CharField("setting", max_length=40, choices=Code.choices, unique=True)
    value = models.DecimalField("value", max_digits=6, decimal_places=2, validators=[POSITIVE, MAX_UNITS])
    note = reference_text("why this value", blank=True)
    clinic_policy = models.BooleanField("clinic policy", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "response policies"
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="response_policy_value_positive")]

    def __str__(self):
        return self.get_code_display()
