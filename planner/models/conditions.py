"""Conditions, medicines and toxin given elsewhere (issue 14): coded reference rows and the patient's entries.

``ConditionCode`` and ``PostureContradiction`` are reference data (curated, sourced, flagged, loaded
from planner/reference/curation.yaml). ``PatientCondition`` and ``OutsideToxinDose`` are clinical
records on the patient: kept with their history, ended or deactivated, never deleted. They live in
the planner app because they point at reference rows, and patients never imports planner.

planner/models/ imports this module at its end (the base classes below are defined by then), so
the app label stays ``planner``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients import colcap
from patients.audit.managers import AuditedManager, AuditedQuerySet
from patients.freetext import NOTES_MAX_LENGTH, limit
from planner.models.reference import MAX_UNITS, POSITIVE, Product, Sourced, reference_text
from planner.reference.formatting import amount


class ConditionCode(Sourced):
    """A coded condition or medicine and the finding it raises in a plan while it is current."""

    class Kind(models.TextChoices):
        CONDITION = "condition", "condition"
        MEDICINE = "medicine", "medicine"

    class FindingLevel(models.TextChoices):
        # The planner's levels (planner.rules.safety.Level); "info" is not offered: a recorded condition is acted on.
        ERROR = "error", "error: blocks signing"
        OVERRIDE = "override", "override: signing needs a written reason"
        WARNING = "warning", "warning: acknowledged at signing"

    code = models.CharField("code", max_length=40, unique=True)
    name = models.CharField("name", max_length=120)
    kind = models.CharField("kind", max_length=10, choices=Kind.choices)
    level = models.CharField("finding level", max_length=10, choices=FindingLevel.choices)
    products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="condition_codes",
        verbose_name="products",
        help_text="The products it applies to (an excipient some products contain). Empty: every product.",
    )
    per_product = models.BooleanField(
        "names a product",
        default=False,
        help_text="The patient's entry names the product (hypersensitivity to one product): it applies to that one.",
    )
    message = reference_text("what the plan says", help_text="Shown in the plan while the entry is current.")
    clinic_policy = models.BooleanField(
        "clinic policy",
        default=False,
        help_text="The level or wording is the clinic's choice rather than a statement of its sources.",
    )

    _history_m2m_fields = ["products"]

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["condition", "medicine"]), name="condition_code_kind_valid"),
            models.CheckConstraint(
                condition=Q(level__in=["error", "override", "warning"]), name="condition_code_level_valid"
            ),
        ]

    def __str__(self):
        return self.name


class PostureContradiction(Sourced):
    """Two Col-Cap components that cannot be recorded together (patients.posture.Contradiction)."""

    class Relation(models.TextChoices):
        ANY = "any", "together, whatever their directions"
        SAME = "same", "with the same direction"
        OPPOSITE = "opposite", "with opposite directions"

    first = models.CharField("component", max_length=40, choices=colcap.CODE_CHOICES)
    second = models.CharField("cannot be recorded with", max_length=40, choices=colcap.CODE_CHOICES)
    relation = models.CharField("when recorded", max_length=10, choices=Relation.choices)
    reason = reference_text("why")
    clinic_policy = models.BooleanField("clinic policy", default=False)

    class Meta:
        ordering = ["first", "second"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second", "relation"], name="posture_contradiction_unique"),
            models.CheckConstraint(condition=~Q(first=F("second")), name="posture_contradiction_two_components"),
            models.CheckConstraint(
                condition=Q(relation__in=["any", "same", "opposite"]), name="posture_contradiction_relation_valid"
            ),
        ]

    @property
    def code(self):
        # The loader and the admin's CSV import name rows by code.
        return f"{self.first}/{self.second}/{self.relation}"

    def __str__(self):
        return f"{self.get_first_display()} and {self.get_second_display()} ({self.get_relation_display()})"


class PatientConditionQuerySet(AuditedQuerySet):
    def current_on(self, day):
        """Active entries in force on ``day``: started on or before it and not ended before it."""
        return self.filter(Q(since__isnull=True) | Q(since__lte=day), Q(until__isnull=True) | Q(until__gte=day)).filter(
            is_active=True
        )


class PatientCondition(models.Model):
    """A coded condition or medicine on a patient, with its dates; ended, or deactivated if recorded in error."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="conditions", verbose_name="patient"
    )
    code = models.ForeignKey(
        ConditionCode, on_delete=models.PROTECT, related_name="patient_entries", verbose_name="condition or medicine"
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="product",
        help_text="Only for an entry that names a product (hypersensitivity to one product).",
    )
    since = models.DateField("from", null=True, blank=True, help_text="Leave blank if not known.")
    until = models.DateField("to", null=True, blank=True, help_text="Leave blank while it lasts.")
    note = models.TextField("note", blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive: recorded in error. It is kept, with its history."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="recorded by"
    )
    recorded_at = models.DateTimeField("recorded at", auto_now_add=True)
    history = HistoricalRecords()

    objects = PatientConditionQuerySet.as_manager()

    class Meta:
        ordering = ["-since", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True) | Q(since__lte=F("until")),
                name="patient_condition_dates_in_order",
            ),
        ]
        indexes = [models.Index(fields=["patient", "is_active"], name="patient_condition_patient")]

    def __str__(self):
        return f"{self.code.name} ({self.patient_id})"

    @property
    def audit_patient_id(self):
        return self.patient_id

    def is_current_on(self, day):
        return (
            self.is_active and (self.since is None or self.since <= day) and (self.until is None or self.until >= day)
        )


class OutsideToxinDose(models.Model):
    """Botulinum toxin given elsewhere (another indication or clinic), in the units of ITS product."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="outside_doses", verbose_name="patient"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name="product")
    dose = models.DecimalField(
        "dose (units of that product)", max_digits=8, decimal_places=2, validators=[POSITIVE, MAX_UNITS]
    )
    given_on = models.DateField("date given")
    indication = models.CharField("indication", max_length=120, help_text="Migraine, spasticity, cosmetic…")
    given_where = models.CharField("where given", max_length=200, blank=True)
    note = models.TextField("note", blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive: recorded in error. It is kept, with its history."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="recorded by"
    )
    recorded_at = models.DateTimeField("recorded at", auto_now_add=True)
    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        ordering = ["-given_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(dose__gt=0), name="outside_dose_positive")]
        indexes = [models.Index(fields=["patient", "given_on"], name="outside_dose_patient_date")]

    def __str__(self):
        return f"{self.dose_text} on {self.given_on:%d %b %Y} ({self.indication})"

    @property
    def dose_text(self):
        """'155 U Botox': a dose given elsewhere is always shown with its own product."""
        return f"{amount(self.dose)} {self.product.units_label}"

    @property
    def audit_patient_id(self):
        return self.patient_id
