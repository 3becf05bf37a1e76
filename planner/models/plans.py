"""Injection sessions (plans, signed records, amendments), their rows and the acknowledged findings."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from simple_history.models import HistoricalRecords

from patients import sides
from patients.audit.managers import AuditedManager, AuditedQuerySet
from planner.models.reference import (
    POSITIVE,
    Muscle,
    Product,
    positive_or_null,
)


class SignedSessionError(ValidationError):
    """Raised by any attempt to change a signed session or its rows."""


class InjectionSessionQuerySet(AuditedQuerySet):
    def signed(self):
        return self.filter(status=InjectionSession.Status.SIGNED)

    def current(self):
        """Signed sessions that no signed amendment has replaced: what was actually given."""
        # NOT EXISTS rather than exclude() across the reverse one-to-one: the outer join that exclude()
        # builds is misjudged by PostgreSQL as one row, and it then picks nested loops (326 ms vs 125 ms
        # over 105,000 sessions).
        replaced = InjectionSession.objects.filter(amends=OuterRef("pk"), status=InjectionSession.Status.SIGNED)
        return self.signed().filter(~Exists(replaced))


class InjectionSession(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        SIGNED = "signed", "signed"

    class Guidance(models.TextChoices):
        ANATOMICAL = "anatomical", "anatomical landmarks"
        EMG = "emg", "EMG"
        ULTRASOUND = "ultrasound", "ultrasound"

    visit = models.ForeignKey(
        "patients.Visit", on_delete=models.PROTECT, related_name="injection_sessions", verbose_name="visit"
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="sessions", verbose_name="product", null=True, blank=True
    )
    default_guidance = models.CharField(
        "guidance",
        max_length=12,
        choices=Guidance.choices,
        default=Guidance.ANATOMICAL,
        help_text="Used for rows that do not say otherwise.",
    )
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Preparation, recorded by the nurse.
    lot_number = models.CharField("lot number", max_length=40, blank=True)
    lot_expiry = models.DateField("lot expiry date", null=True, blank=True)
    vial_units = models.DecimalField(
        "vial size (units)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE],
        help_text="Units of this product per vial.",
    )
    vial_count = models.PositiveSmallIntegerField(
        "vials used", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    diluent_ml = models.DecimalField(
        "diluent per vial (mL)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="0.9% sodium chloride added to each vial.",
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="prepared by",
    )
    prepared_at = models.DateTimeField("prepared at", null=True, blank=True)
    reconstituted_at = models.DateTimeField(
        "reconstituted at",
        null=True,
        blank=True,
        help_text="When the vial was reconstituted: past the product's use-by time, the session cannot be signed.",
    )
    # Signing.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="signed by",
    )
    signed_at = models.DateTimeField("signed at", null=True, blank=True)
    findings_at_signing = models.JSONField("findings at signing", default=list, blank=True)
    planned_interval_weeks = models.PositiveSmallIntegerField(
        "next injection in (weeks)",
        null=True,
        blank=True,
        validators=[MinValueValidator(4), MaxValueValidator(52)],
        help_text="Set at signing when this patient's next session should not follow the product's minimum interval.",
    )
    # Amendment.
    amends = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amended_by",
        verbose_name="amends",
    )
    amendment_reason = models.TextField("reason for the amendment", blank=True)
    # Optimistic locking: a save must name the version it started from.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="created by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = InjectionSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-visit__date", "-id"]
        permissions = [
            ("plan_injectionsession", "Can build and change a draft injection plan"),
            ("prepare_injectionsession", "Can record the toxin preparation (lot, expiry, dilution)"),
            ("sign_injectionsession", "Can sign an injection session"),
            ("amend_injectionsession", "Can amend a signed injection session"),
        ]
        constraints = [
            # One original plan per visit; amendments hang off it.
            models.UniqueConstraint(
                fields=["visit"], condition=Q(amends__isnull=True), name="session_one_original_per_visit"
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(signed_by__isnull=False) & Q(signed_at__isnull=False) & Q(product__isnull=False)),
                name="session_signed_has_signer_and_product",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amendment_reason=""), name="session_amendment_has_reason"
            ),
            models.CheckConstraint(condition=positive_or_null("vial_units"), name="session_vial_units_positive"),
            models.CheckConstraint(
                condition=Q(planned_interval_weeks__isnull=True)
                | (Q(planned_interval_weeks__gte=4) & Q(planned_interval_weeks__lte=52)),
                name="session_planned_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(diluent_ml__isnull=True) | Q(diluent_ml__gte=0), name="session_diluent_not_negative"
            ),
        ]

    def __str__(self):
        label = "amendment" if self.amends_id else "plan"
        return f"Injection {label} of {self.visit}"

    def save(self, *args, **kwargs):
        if self.pk is not None and self._signed_in_database():
            raise SignedSessionError("This session is signed and cannot be changed: amend it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SignedSessionError("Injection sessions are never deleted.")

    @property
    def audit_patient_id(self):
        return self.visit.patient_id

    @property
    def is_signed(self):
        return self.status == self.Status.SIGNED

    def _signed_in_database(self):
        return type(self).objects.filter(pk=self.pk, status=self.Status.SIGNED).exists()


class Injection(models.Model):
    Side = sides.Side  # the shared vocabulary: Injection.Side.LEFT is "left"

    session = models.ForeignKey(
        InjectionSession, on_delete=models.PROTECT, related_name="injections", verbose_name="session"
    )
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="injections", verbose_name="muscle")
    side = models.CharField("side", max_length=5, choices=sides.SIDE_CHOICES)
    # Empty while the plan is a draft (a product switch clears every dose); signing needs them all.
    dose = models.DecimalField(
        "dose (units)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE],
        help_text="In the units of the session's product, for this muscle on this side.",
    )
    sites = models.PositiveSmallIntegerField(
        "sites", default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    guidance = models.CharField(
        "guidance",
        max_length=12,
        choices=InjectionSession.Guidance.choices,
        default=InjectionSession.Guidance.ANATOMICAL,
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=positive_or_null("dose"), name="injection_dose_positive"),
            models.CheckConstraint(condition=Q(sites__gte=1) & Q(sites__lte=20), name="injection_sites_range"),
            models.UniqueConstraint(fields=["session", "muscle", "side"], name="injection_one_row_per_muscle_side"),
        ]

    def __str__(self):
        return f"{self.get_side_display()} {self.muscle}: {self.dose} U"

    def save(self, *args, **kwargs):
        if self.session._signed_in_database():
            raise SignedSessionError("This session is signed and cannot be changed: amend it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.session._signed_in_database():
            raise SignedSessionError("This session is signed and cannot be changed: amend it instead.")
        return super().delete(*args, **kwargs)

    @property
    def audit_patient_id(self):
        return self.session.visit.patient_id


class FindingAcknowledgement(models.Model):
    """A warning the signing neurologist read and accepted, or an override they made, with their reason.

    An override (above a labeled maximum, inside the minimum interval, a toxin-naive start above the
    labeled dose) always has a written reason; for a warning the reason is optional.
    """

    class Level(models.TextChoices):
        WARNING = "warning", "warning acknowledged"
        OVERRIDE = "override", "off-label override"

    session = models.ForeignKey(
        InjectionSession, on_delete=models.PROTECT, related_name="acknowledgements", verbose_name="session"
    )
    finding_key = models.CharField("finding", max_length=200)
    finding_code = models.CharField(max_length=60)
    level = models.CharField("level", max_length=10, choices=Level.choices, default=Level.WARNING)
    message = models.TextField()
    reason = models.TextField("reason", blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()
    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "finding_key"], name="acknowledgement_once_per_finding"),
            models.CheckConstraint(
                condition=~Q(level="override") | ~Q(reason=""), name="acknowledgement_override_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.finding_code} acknowledged by {self.acknowledged_by}"

    @property
    def audit_patient_id(self):
        return self.session.visit.patient_id
