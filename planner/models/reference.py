from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients import colcap
from patients.audit.managers import AuditedManager
from patients.freetext import NOTES_MAX_LENGTH, limit
from patients.sides import RELATIVE_SIDE_CHOICES, RelativeSide
from planner.reference import numbers
from planner.reference.dilution import DilutionError, strength_for
from planner.reference.formatting import amount, span
from planner.reference.limits import LimitRow, effective_limit
from planner.rules.policy import SETTING_LABELS, SETTING_RANGES, setting_out_of_range

# ---------------------------------------------------------------------------------------------
# Reference data
#
# Muscles, Col-Cap patterns, suggestion rules, toxin products, their limits, dose guidelines,
# diluent volumes and cautions. Reference admins curate these tables; `manage.py loadreference`
# fills them from the shipped, versioned set in planner/reference/. Every curated row says where it
# comes from (sources), how far that source was checked (verification), and which clinician
# reviewed it and when. Rows are never deleted, only deactivated: clinical records point at them.
#
# Doses and limits are always in the units of their own product. No field, method or query here
# relates one product's units to another's: the products' units are not interchangeable.
# ---------------------------------------------------------------------------------------------

POSITIVE = MinValueValidator(Decimal("0.01"), message="Must be greater than zero.")
# The plausible ceilings of reference numbers (planner.reference.numbers): a typo like 1e6 is refused.
MAX_UNITS = MaxValueValidator(numbers.UNITS.high, message=f"Must be at most {numbers.UNITS.high} units.")
MAX_ML = MaxValueValidator(numbers.ML.high, message=f"Must be at most {numbers.ML.high} mL.")


def units_field(verbose_name, help_text=""):
    """A dose in the units of the row's own product: positive, optional, two decimals."""
    return models.DecimalField(
        verbose_name,
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE, MAX_UNITS],
        help_text=help_text,
    )


def reference_text(verbose_name, **kwargs):
    """A free-text field of reference data, with the same ceiling as clinical notes (patients.freetext)."""
    return models.TextField(verbose_name, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)], **kwargs)


def positive_or_null(field):
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": 0})


def not_above(low, high):
    """low <= high wherever both are filled in."""
    return Q(**{f"{low}__isnull": True}) | Q(**{f"{high}__isnull": True}) | Q(**{f"{low}__lte": F(high)})


class Verification(models.TextChoices):
    """How far the value was checked against its source (the YAML's V / P / C / U flags)."""

    VERIFIED = "verified", "verified in source"
    PARTLY_VERIFIED = "partly_verified", "partly verified"
    COMPUTED = "computed", "computed"
    UNVERIFIED = "unverified", "unverified"


class ReferenceRow(models.Model):
    """Fields every reference table shares: active flag and what the loader last wrote."""

    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Inactive rows are kept for the records that use them but are no longer suggested.",
    )
    # SHA-256 of the shipped values as `loadreference` last wrote them (empty: never loaded, that is
    # created by a reference admin). When the row's current values no longer hash to this, a reference
    # admin has edited it since, and the loader keeps their values unless told --force.
    loaded_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The natural key the loader wrote (JSON), so a row whose key an admin changed is still recognised.
    loaded_key = models.CharField(max_length=300, blank=True, editable=False)

    # Every concrete reference table inherits it: no bulk update or delete that history would miss.
    objects = AuditedManager()

    class Meta:
        abstract = True


class Source(ReferenceRow):
    code = models.CharField(
        "code", max_length=20, unique=True, help_text="Short code the data set cites, such as S6a or D14."
    )
    citation = reference_text("citation")
    url = models.URLField("URL", max_length=500, blank=True)
    history = HistoricalRecords(excluded_fields=["loaded_hash", "loaded_key"])

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class Sourced(ReferenceRow):
    """A curated fact: its sources, how far they were verified, and the clinician review."""

    # Rules, doses and limits must cite at least one source (the forms and the CSV import check it).
    requires_source = False

    sources = models.ManyToManyField(
        Source, blank=True, related_name="%(class)s_rows", related_query_name="%(class)s_row", verbose_name="sources"
    )
    verification = models.CharField(
        "verification", max_length=20, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="reviewed by",
        help_text="The clinician who last checked this row against its sources.",
    )
    reviewed_at = models.DateTimeField("reviewed at", null=True, blank=True)
    history = HistoricalRecords(inherit=True, excluded_fields=["loaded_hash", "loaded_key"], m2m_fields=["sources"])

    class Meta:
        abstract = True

    def clean_related(self, related):
        """Checks on many-to-many values, which full_clean() cannot see. ``related``: {field name: [rows]}.

        The admin form and the CSV import both call it before saving.
        """
        if self.requires_source and "sources" in related and not related["sources"]:
            raise ValidationError(
                {"sources": "Cite at least one source: every rule, dose and limit says where it comes from."}
            )


class Muscle(Sourced):
    class Group(models.TextChoices):
        ANTERIOR = "anterior", "anterior"
        ANTEROLATERAL = "anterolateral", "anterolateral"
        LATERAL = "lateral", "lateral"
        PREVERTEBRAL = "prevertebral", "prevertebral"
        POSTERIOR = "posterior", "posterior"
        SUBOCCIPITAL = "suboccipital", "suboccipital"
        SHOULDER_GIRDLE = "shoulder_girdle", "shoulder girdle"

    class Depth(models.TextChoices):
        SUPERFICIAL = "superficial", "superficial"
        INTERMEDIATE = "intermediate", "intermediate"
        DEEP = "deep", "deep"

    class Guidance(models.TextChoices):
        OPTIONAL = "optional", "optional"
        RECOMMENDED = "recommended", "recommended"
        REQUIRED = "required", "required"

    code = models.CharField("code", max_length=40, unique=True)
    name = models.CharField("name", max_length=100)
    group = models.CharField("group", max_length=20, choices=Group.choices)
    depth = models.CharField("depth", max_length=20, choices=Depth.choices)
    guidance = models.CharField(
        "EMG / ultrasound guidance",
        max_length=20,
        choices=Guidance.choices,
        help_text="Whether injecting this muscle needs EMG or ultrasound guidance.",
    )
    notes = reference_text("notes", blank=True)
    caution = reference_text("caution", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PosturePattern(Sourced):
    class Plane(models.TextChoices):
        TRANSVERSE = "transverse", "transverse (rotation)"
        CORONAL = "coronal", "coronal (tilt)"
        SAGITTAL = "sagittal", "sagittal (flexion / extension)"
        NONE = "", "none (shoulder girdle)"

    class Level(models.TextChoices):
        CAPUT = "caput", "caput (head on neck)"
        COLLIS = "collis", "collis (neck on trunk)"
        COMBINED = "combined", "combined (shift)"
        SHOULDER = "shoulder", "shoulder girdle"
        TREMOR = "tremor", "tremor"

    class Directions(models.TextChoices):
        LEFT_RIGHT = "left_right", "left or right"
        NONE = "none", "none (sagittal: both sides)"

    code = models.CharField("code", max_length=40, unique=True, choices=colcap.CODE_CHOICES)
    name = models.CharField("name", max_length=100)
    plane = models.CharField("plane", max_length=20, choices=Plane.choices, blank=True)
    level = models.CharField("level", max_length=20, choices=Level.choices)
    directions = models.CharField(
        "directions",
        max_length=20,
        choices=Directions.choices,
        help_text="Whether the posture has a side (left or right). Sagittal postures have none.",
    )
    joints = models.CharField("joints", max_length=100, blank=True)
    definition = reference_text("definition")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def takes_direction(self):
        return self.directions == self.Directions.LEFT_RIGHT

    def clean(self):
        component = colcap.BY_CODE.get(self.code)
        if component and self.directions != (self.Directions.LEFT_RIGHT if component.lateral else self.Directions.NONE):
            expected = "left or right" if component.lateral else "none"
            raise ValidationError({"directions": f"{self.code} takes {expected} in the Col-Cap vocabulary."})


class PatternComponent(Sourced):
    """A combined pattern (a shift) is a collis form plus a caput form, each on a side."""

    combined = models.ForeignKey(
        PosturePattern, on_delete=models.PROTECT, related_name="components", verbose_name="combined pattern"
    )
    component = models.ForeignKey(
        PosturePattern, on_delete=models.PROTECT, related_name="part_of", verbose_name="component pattern"
    )
    side = models.CharField(
        "side",
        max_length=20,
        choices=[(value, label) for value, label in RELATIVE_SIDE_CHOICES if value != RelativeSide.UNRESOLVED],
        help_text="Side of the component relative to the direction of the combined pattern.",
    )

    class Meta:
        ordering = ["combined_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["combined", "component"], name="pattern_component_unique"),
            models.CheckConstraint(condition=~Q(combined=F("component")), name="pattern_component_not_itself"),
        ]

    def __str__(self):
        return f"{self.combined}: {self.component} ({self.get_side_display()})"

    def clean(self):
        errors = {}
        if self.combined_id and self.combined.level != PosturePattern.Level.COMBINED:
            errors["combined"] = "Only a pattern of level 'combined' has components."
        if self.component_id and self.component.level == PosturePattern.Level.COMBINED:
            errors["component"] = "A component must be a single pattern, not another combined one."
        if errors:
            raise ValidationError(errors)


class SuggestionRule(Sourced):
    class Priority(models.TextChoices):
        PRIMARY = "primary", "primary"
        SECONDARY = "secondary", "secondary"

    requires_source = True

    pattern = models.ForeignKey(PosturePattern, on_delete=models.PROTECT, related_name="rules", verbose_name="pattern")
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="rules", verbose_name="muscle")
    side = models.CharField(
        "side", max_length=20, choices=RELATIVE_SIDE_CHOICES, help_text="Relative to the direction of the posture."
    )
    priority = models.CharField("priority", max_length=20, choices=Priority.choices)
    needs_review = models.BooleanField(
        "needs review", default=False, help_text="Sources conflict, or the primary tables were not retrieved."
    )
    note = reference_text("note", blank=True)

    class Meta:
        ordering = ["pattern_id", "priority", "muscle__name"]  # "primary" sorts before "secondary"
        constraints = [
            models.UniqueConstraint(fields=["pattern", "muscle", "side"], name="rule_unique_pattern_muscle_side"),
            models.CheckConstraint(
                condition=~Q(side=RelativeSide.UNRESOLVED) | Q(needs_review=True),
                name="rule_unresolved_side_needs_review",
            ),
        ]

    def __str__(self):
        return f"{self.pattern}: {self.muscle} ({self.get_side_display()}, {self.priority})"

    def clean(self):
        if (
            self.pattern_id
            and not self.pattern.takes_direction
            and self.side in (RelativeSide.IPSILATERAL, RelativeSide.CONTRALATERAL)
        ):
            raise ValidationError({"side": f"{self.pattern} has no left or right: use bilateral."})
        if self.side == RelativeSide.UNRESOLVED and not self.needs_review:
            raise ValidationError({"needs_review": "A rule whose side is unresolved needs review."})


class Product(Sourced):
    class ToxinType(models.TextChoices):
        A = "A", "botulinum toxin type A"
        B = "B", "botulinum toxin type B"

    class Form(models.TextChoices):
        POWDER = "powder", "powder (reconstitute before use)"
        SOLUTION = "solution", "ready-to-use solution"

    code = models.CharField("code", max_length=10, unique=True)
    generic_name = models.CharField("generic name", max_length=100)
    brand_name = models.CharField("brand name", max_length=100)
    toxin_type = models.CharField("toxin type", max_length=1, choices=ToxinType.choices)
    vial_sizes = models.JSONField(
        "vial sizes (units)",
        default=list,
        help_text="Units per vial, for example 50, 100, 200.",
    )
    form = models.CharField("form", max_length=10, choices=Form.choices)
    form_note = models.CharField("form, as labelled", max_length=200, blank=True)
    concentration_units_per_ml = units_field(
        "concentration (units per mL)", "Only for a ready-to-use solution: units per mL as supplied."
    )
    presentation_note = models.CharField("presentations", max_length=200, blank=True)
    notes = reference_text("notes", blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=positive_or_null("concentration_units_per_ml"), name="product_concentration_positive"
            ),
            models.CheckConstraint(
                condition=Q(form="powder") | Q(concentration_units_per_ml__isnull=False),
                name="product_solution_has_concentration",
            ),
        ]

    def __str__(self):
        return f"{self.brand_name} ({self.generic_name})"

    @property
    def concentration_text(self):
        c = self.concentration_units_per_ml
        return f"{amount(c)} {self.units_label} per mL as supplied" if c else ""

    @property
    def usable_vial_sizes(self):
        """The vial sizes as Decimals; [] when the stored list is out of range (see vial_sizes_problem)."""
        return numbers.usable_vial_sizes(self.vial_sizes)

    @property
    def vial_sizes_problem(self):
        """Why the stored vial sizes cannot be used ("" when they can): a row saved before validation."""
        problem = numbers.vial_sizes_problem(self.vial_sizes)
        if not problem:
            return ""
        return f"{self.brand_name}'s vial sizes in the reference data are not valid ({problem}) Ask a reference admin."

    @property
    def vial_sizes_text(self):
        return ", ".join(amount(size) for size in self.usable_vial_sizes) or "vial sizes not valid"

    @property
    def units_label(self):
        """'U Dysport': every dose shown anywhere names the product whose units it is in."""
        return f"U {self.brand_name}"

    def clean(self):
        problem = numbers.vial_sizes_problem(self.vial_sizes)
        if problem:
            raise ValidationError({"vial_sizes": problem})
        if self.form == self.Form.SOLUTION and not self.concentration_units_per_ml:
            raise ValidationError({"concentration_units_per_ml": "A ready-to-use solution needs its concentration."})

    def effective_limit(self, kind):
        """The value a safety check should apply for one limit kind; see planner.reference.limits."""
        return effective_limit(kind, [limit.as_row() for limit in self.limits.all()])


class ProductLimit(Sourced):
    class Kind(models.TextChoices):
        SESSION_MAX = "session_max", "maximum per session"
        CUMULATIVE_MAX = "cumulative_max", "cumulative maximum over a period"
        MIN_INTERVAL_WEEKS = "min_interval_weeks", "minimum re-treatment interval"
        NAIVE_START_DOSE = "naive_start_dose", "starting dose, toxin-naive patients"
        START_DOSE = "start_dose", "starting dose, previously treated patients"
        SESSION_RANGE_MIN = "session_range_min", "labelled session range, lower end"
        SESSION_RANGE_MAX = "session_range_max", "labelled session range, upper end"
        TITRATION_STEP = "titration_step", "titration step"
        MAX_UNITS_PER_SITE = "max_units_per_site", "maximum per injection site"
        # Clinic policy, not a label figure: no session is signed above it, whatever the reason.
        HARD_CEILING = "hard_ceiling", "hard ceiling per session"
        RECONSTITUTED_USE_HOURS = "reconstituted_use_hours", "use within, after reconstitution"

    class Jurisdiction(models.TextChoices):
        ALL = "all", "all labels"
        US = "us", "US label"
        EU = "eu", "EU SmPC"
        EU_GULF = "eu_gulf", "EU-type / Gulf PI"

    # Each product has a row for each of these, an explicit "not labelled" row (no value) where the
    # label has none: the safety checks need to know the difference between "none" and "not loaded".
    REQUIRED_KINDS = (
        Kind.SESSION_MAX,
        Kind.CUMULATIVE_MAX,
        Kind.HARD_CEILING,
        Kind.MIN_INTERVAL_WEEKS,
        Kind.NAIVE_START_DOSE,
        Kind.RECONSTITUTED_USE_HOURS,
    )

    requires_source = True

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="limits", verbose_name="product")
    kind = models.CharField("kind", max_length=30, choices=Kind.choices)
    jurisdiction = models.CharField("jurisdiction", max_length=10, choices=Jurisdiction.choices, default="all")
    value = models.DecimalField(
        "value",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE, MAX_UNITS],
        help_text="Units of this product (weeks for the interval). Leave empty when the label gives none.",
    )
    value_upper = models.DecimalField(
        "upper value",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE, MAX_UNITS],
        help_text="Only when the source gives a range, such as 50-75 U steps.",
    )
    period_weeks = models.PositiveSmallIntegerField(
        "period (weeks)",
        null=True,
        blank=True,
        validators=numbers.WEEKS.validators(),
        help_text="For a cumulative maximum: the period it covers.",
    )
    note = reference_text("note", blank=True)
    clinic_policy = models.BooleanField(
        "clinic policy",
        default=False,
        help_text="Set by the clinic where no label gives the figure (a hard ceiling, Daxxify's interval); "
        "its sources are what the figure was chosen from.",
    )

    class Meta:
        ordering = ["product_id", "kind", "jurisdiction"]
        constraints = [
            models.UniqueConstraint(fields=["product", "kind", "jurisdiction"], name="limit_unique_kind_jurisdiction"),
            models.CheckConstraint(condition=positive_or_null("value"), name="limit_value_positive"),
            models.CheckConstraint(condition=positive_or_null("value_upper"), name="limit_value_upper_positive"),
            models.CheckConstraint(condition=not_above("value", "value_upper"), name="limit_value_not_above_upper"),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(value_upper__isnull=True), name="limit_upper_needs_value"
            ),
            models.CheckConstraint(
                condition=Q(period_weeks__isnull=True) | Q(period_weeks__gt=0), name="limit_period_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="cumulative_max") | Q(value__isnull=True) | Q(period_weeks__isnull=False),
                name="limit_cumulative_has_period",
            ),
            # "Not labelled" must say why: what was looked for, and where.
            models.CheckConstraint(condition=Q(value__isnull=False) | ~Q(note=""), name="limit_unlabelled_has_note"),
        ]

    def __str__(self):
        return f"{self.product.brand_name}: {self.get_kind_display()} ({self.get_jurisdiction_display()})"

    @property
    def unit(self):
        if self.kind == self.Kind.MIN_INTERVAL_WEEKS:
            return "weeks"
        if self.kind == self.Kind.RECONSTITUTED_USE_HOURS:
            return "hours"
        return self.product.units_label

    @property
    def display_value(self):
        """'400 U Botox per 12 weeks', '50–75 U Daxxify', 'not labelled'."""
        if self.value is None:
            return "not labelled"
        text = f"{span(self.value, self.value_upper or self.value)} {self.unit}"
        return f"{text} per {self.period_weeks} weeks" if self.period_weeks else text

    def clean(self):
        errors = {}
        if self.value is not None and self.value_upper is not None and self.value > self.value_upper:
            errors["value_upper"] = "The upper value must not be below the value."
        if self.value is None and self.value_upper is not None:
            errors["value"] = "Give the lower value of the range too."
        if self.kind == self.Kind.CUMULATIVE_MAX and self.value is not None and not self.period_weeks:
            errors["period_weeks"] = "A cumulative maximum needs the period it covers."
        if self.value is None and not self.note.strip():
            errors["note"] = "Say why there is no value (for example: not labelled, not found in the source)."
        if errors:
            raise ValidationError(errors)

    def as_row(self):
        """Plain data for planner.reference.limits (uses the prefetched sources)."""
        return LimitRow(
            kind=self.kind,
            jurisdiction=self.jurisdiction,
            value=self.value,
            value_upper=self.value_upper,
            period_weeks=self.period_weeks,
            note=self.note,
            verification=self.verification,
            sources=tuple(sorted(source.code for source in self.sources.all())),
            is_active=self.is_active,
        )


DOSE_FIELDS = ("min_units", "max_units", "median_units", "iqr_low", "iqr_high", "per_site_min", "per_site_max")


class DoseGuideline(Sourced):
    class Kind(models.TextChoices):
        TRIAL_OBSERVED = "trial_observed", "observed in a pivotal trial (not a recommendation)"
        EXPERT_EXAMPLE = "expert_example", "expert or educational example"
        LABEL_TABLE = "label_table", "label per-muscle table"

    class Per(models.TextChoices):
        NOT_STATED = "", "not stated"
        SIDE = "side", "per side"
        MUSCLE = "muscle", "per muscle (both sides)"

    requires_source = True

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="doses", verbose_name="product")
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="doses", verbose_name="muscle")
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    min_units = units_field("minimum (units)", "Units of this product.")
    max_units = units_field("maximum (units)", "Units of this product.")
    median_units = units_field("median (units)", "Units of this product.")
    iqr_low = units_field("IQR, lower quartile (units)")
    iqr_high = units_field("IQR, upper quartile (units)")
    iqr_verification = models.CharField(
        "IQR verification",
        max_length=20,
        choices=Verification.choices,
        blank=True,
        help_text="When the IQR was checked less well than the median.",
    )
    per_site_min = units_field("per site, from (units)")
    per_site_max = units_field("per site, to (units)")
    typical_sites = models.PositiveSmallIntegerField(
        "typical number of sites", null=True, blank=True, validators=numbers.SITES.validators()
    )
    per = models.CharField("dose is", max_length=10, choices=Per.choices, blank=True)
    context = models.CharField("context", max_length=200, blank=True)
    note = reference_text("note", blank=True)

    class Meta:
        ordering = ["product_id", "muscle__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["product", "muscle", "kind"], name="dose_unique_product_muscle_kind"),
            *[
                models.CheckConstraint(condition=positive_or_null(field), name=f"dose_{field}_positive")
                for field in DOSE_FIELDS
            ],
            models.CheckConstraint(condition=not_above("min_units", "max_units"), name="dose_min_not_above_max"),
            models.CheckConstraint(condition=not_above("iqr_low", "iqr_high"), name="dose_iqr_ordered"),
            models.CheckConstraint(condition=not_above("per_site_min", "per_site_max"), name="dose_per_site_ordered"),
            models.CheckConstraint(
                condition=Q(min_units__isnull=False)
                | Q(max_units__isnull=False)
                | Q(median_units__isnull=False)
                | Q(per_site_min__isnull=False),
                name="dose_has_a_dose",
            ),
            models.CheckConstraint(
                condition=Q(typical_sites__isnull=True) | Q(typical_sites__gte=1), name="dose_sites_positive"
            ),
        ]

    def __str__(self):
        return f"{self.product.brand_name}: {self.muscle} ({self.get_kind_display()})"

    @property
    def headline(self):
        """The dose in one phrase, in this product's units: '50–350 U Dysport', 'median 25 U Xeomin'."""
        if self.min_units is not None or self.max_units is not None:
            text = span(self.min_units, self.max_units)
        elif self.median_units is not None:
            text = f"median {amount(self.median_units)}"
        else:
            text = f"{span(self.per_site_min, self.per_site_max)} per site"
        text = f"{text} {self.product.units_label}"
        return f"{text} {self.get_per_display()}" if self.per else text

    @property
    def details(self):
        """What else the row says, in the same units: median, IQR, per-site dose, number of sites."""
        parts = []
        if self.median_units is not None and (self.min_units is not None or self.max_units is not None):
            parts.append(f"median {amount(self.median_units)}")
        if self.iqr_low is not None or self.iqr_high is not None:
            parts.append(f"IQR {span(self.iqr_low, self.iqr_high)}")
        if self.per_site_min is not None and (self.min_units is not None or self.max_units is not None):
            parts.append(f"{span(self.per_site_min, self.per_site_max)} per site")
        if self.typical_sites:
            parts.append(f"{self.typical_sites} site{'s' if self.typical_sites > 1 else ''}")
        return parts

    @property
    def iqr_is_established(self):
        return self.iqr_verification in ("", Verification.VERIFIED, Verification.COMPUTED)

    def clean(self):
        errors = {}
        for low, high, label in (
            ("min_units", "max_units", "the minimum"),
            ("iqr_low", "iqr_high", "the lower quartile"),
            ("per_site_min", "per_site_max", "the lower per-site dose"),
        ):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                errors[high] = f"Must not be below {label} ({amount(low_value)})."
        if all(getattr(self, field) is None for field in ("min_units", "max_units", "median_units", "per_site_min")):
            errors["max_units"] = "Give at least one dose: a minimum, maximum, median or per-site dose."
        if errors:
            raise ValidationError(errors)


class DiluentVolume(Sourced):
    """A diluent volume the product's label or dilution table allows for one vial size."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="diluent_volumes", verbose_name="product"
    )
    vial_units = models.DecimalField(
        "vial (units)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE, MAX_UNITS],
        help_text="Empty for every presentation of a ready-to-use solution.",
    )
    diluent_ml = models.DecimalField(
        "diluent (mL)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MAX_ML],
        help_text="0.9% sodium chloride added. 0 for a ready-to-use solution; empty when not known.",
    )
    note = reference_text("note", blank=True)

    class Meta:
        ordering = ["product_id", "vial_units", "diluent_ml"]
        constraints = [
            models.UniqueConstraint(fields=["product", "vial_units", "diluent_ml"], name="diluent_unique"),
            models.CheckConstraint(condition=positive_or_null("vial_units"), name="diluent_vial_positive"),
            models.CheckConstraint(
                condition=Q(diluent_ml__isnull=True) | Q(diluent_ml__gte=0), name="diluent_volume_not_negative"
            ),
        ]

    def __str__(self):
        vial = f"{amount(self.vial_units)} U" if self.vial_units else "any vial"
        volume = f"{amount(self.diluent_ml)} mL" if self.diluent_ml is not None else "volume not known"
        return f"{self.product.brand_name} {vial}, {volume}"

    @property
    def vial_text(self):
        return f"{amount(self.vial_units)} {self.product.units_label}" if self.vial_units else "every presentation"

    @property
    def diluent_amount(self):
        return "" if self.diluent_ml is None else amount(self.diluent_ml)

    @property
    def diluent_text(self):
        return f"{self.diluent_amount} mL" if self.diluent_amount else "not known"

    @property
    def strength_text(self):
        strength = self.units_per_0_1_ml
        if strength is None:
            return "not known"
        return f"{amount(strength.quantize(Decimal('0.01')))} {self.product.units_label}"

    @property
    def units_per_0_1_ml(self):
        """Computed from the vial and volume, never stored (see planner.reference.dilution)."""
        if self.diluent_ml is None:
            return None
        try:
            return strength_for(self.product, vial_units=self.vial_units, diluent_ml=self.diluent_ml).per_0_1_ml
        except DilutionError:
            return None


class Caution(Sourced):
    """A safety caution the checks cite: a dose cap, a risky combination, a rule to follow."""

    code = models.CharField("code", max_length=40, unique=True)
    products = models.ManyToManyField(
        Product, blank=True, related_name="cautions", verbose_name="products", help_text="Empty: every product."
    )
    muscle = models.ForeignKey(
        Muscle, on_delete=models.PROTECT, null=True, blank=True, related_name="cautions", verbose_name="muscle"
    )
    pattern = models.ForeignKey(
        PosturePattern,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cautions",
        verbose_name="pattern",
    )
    threshold_units = units_field(
        "threshold (units)", "Where the caution has a number: in the units of its one product."
    )
    text = reference_text("caution")
    clinic_policy = models.BooleanField(
        "clinic policy",
        default=False,
        help_text="The clinic's reading of its sources rather than a figure a source states.",
    )

    # Also record which products a caution applies to in its history (Sourced records the sources).
    _history_m2m_fields = ["products"]

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=positive_or_null("threshold_units"), name="caution_threshold_positive"),
        ]

    def __str__(self):
        return self.code

    @property
    def threshold_text(self):
        """'100 U Botox': a threshold is in the units of the caution's one product."""
        if self.threshold_units is None:
            return ""
        products = list(self.products.all())
        unit = products[0].units_label if len(products) == 1 else "U"
        return f"{amount(self.threshold_units)} {unit}"

    def clean_related(self, related):
        super().clean_related(related)
        products = related.get("products")
        if self.threshold_units is not None and products is not None and len(products) != 1:
            raise ValidationError(
                {"threshold_units": "A threshold is in the units of one product: choose exactly one product."}
            )


class PolicySetting(Sourced):
    """A threshold no label publishes, set by the clinic: every one is clinic policy, with history."""

    class Code(models.TextChoices):
        # Labels from planner.rules.policy, which the pure layer's "default used" sentences also use.
        NEAR_SESSION_MAX_FRACTION = "near_session_max_fraction", SETTING_LABELS["near_session_max_fraction"]
        MIN_VOLUME_PER_SITE_ML = "min_volume_per_site_ml", SETTING_LABELS["min_volume_per_site_ml"]
        MAX_VOLUME_PER_SITE_ML = "max_volume_per_site_ml", SETTING_LABELS["max_volume_per_site_ml"]
        MEDIAN_MULTIPLE_WARNING = "median_multiple_warning", SETTING_LABELS["median_multiple_warning"]
        USUAL_CYCLE_WEEKS = "usual_cycle_weeks", SETTING_LABELS["usual_cycle_weeks"]
        LAPSED_AFTER_DAYS = "lapsed_after_days", SETTING_LABELS["lapsed_after_days"]
        OUTSIDE_TOXIN_WINDOW_WEEKS = "outside_toxin_window_weeks", SETTING_LABELS["outside_toxin_window_weeks"]

    code = models.CharField("setting", max_length=40, choices=Code.choices, unique=True)
    value = models.DecimalField("value", max_digits=8, decimal_places=3, validators=[POSITIVE, MAX_UNITS])
    note = reference_text("why this value", blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="policy_value_positive")]

    def __str__(self):
        return self.get_code_display()

    def clean(self):
        problem = self.value is not None and self.code in SETTING_RANGES and setting_out_of_range(self.code, self.value)
        if problem:
            raise ValidationError({"value": f"{problem} ({self.get_code_display()})"})


class ReferenceVersion(models.Model):
    """One row: a counter bumped in the same transaction as every change to a reference table.

    Each safety check reads it (one query) and reuses its process's cached reference inputs only while
    it is unchanged; see planner.reference.version.
    """

    value = models.PositiveBigIntegerField("version", default=0)

    class Meta:
        verbose_name = "reference data version"

    def __str__(self):
        return f"reference data version {self.value}"


# ---------------------------------------------------------------------------------------------
# Injection plans
#
# One InjectionSession per visit: the neurologist's plan (product, rows of muscle, side, dose,
# sites, guidance), the nurse's preparation (lot, expiry, vials, diluent) and, once signed, the
# findings shown at signing with their acknowledgements. A signed session is never changed: a
# correction is a new session that `amends` it, signed with a reason, and both stay visible.
# Doses are in the session's product's units; nothing converts them to another product's.
# ---------------------------------------------------------------------------------------------
