"""How one treatment cycle worked: the patient's own account of the injections given at a visit.

Recorded at the next visit or by phone (a nurse or neurologist): the week the effect began, the
week it was strongest, the week it wore off, the patient's global impression of change (PGIC) and
their own rating of benefit (0-100 %). Every value is optional: a patient may remember only some.
The weeks count from the day of the injections (the visit's date).

It hangs on the TREATED visit, not on the visit that reported it: the planner reads it beside that
visit's signed session (patients never imports planner, so the link is the visit).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients.audit.managers import AuditedManager
from patients.freetext import NOTES_MAX_LENGTH, limit

# A week number later than a year after the injections is a typo (effects last weeks to months).
MAX_WEEK = 52


def _week(verbose_name, help_text):
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_WEEK)],
        help_text=help_text,
    )


def _not_before(early, late):
    return Q(**{f"{early}__isnull": True}) | Q(**{f"{late}__isnull": True}) | Q(**{f"{early}__lte": F(late)})


class CycleResponse(models.Model):
    class Pgic(models.IntegerChoices):
        # The same 7-point scale as VisitOutcome.pgic.
        VERY_MUCH_IMPROVED = 1, "1 Very much improved"
        MUCH_IMPROVED = 2, "2 Much improved"
        MINIMALLY_IMPROVED = 3, "3 Minimally improved"
        NO_CHANGE = 4, "4 No change"
        MINIMALLY_WORSE = 5, "5 Minimally worse"
        MUCH_WORSE = 6, "6 Much worse"
        VERY_MUCH_WORSE = 7, "7 Very much worse"

    class Source(models.TextChoices):
        VISIT = "visit", "At a visit"
        PHONE = "phone", "By phone"

    visit = models.OneToOneField(
        "patients.Visit",
        on_delete=models.PROTECT,
        related_name="cycle_response",
        help_text="The visit at which the injections were given.",
    )
    onset_week = _week("week the effect began", "Weeks after the injections (0 = the same week).")
    peak_week = _week("week the effect was strongest", "Weeks after the injections.")
    wear_off_week = _week("week the effect wore off", "Weeks after the injections. Leave blank if it still lasts.")
    pgic = models.PositiveSmallIntegerField(
        "patient's global impression of change",
        choices=Pgic.choices,
        null=True,
        blank=True,
        help_text="Compared with before these injections (7-point PGIC).",
    )
    benefit_percent = models.PositiveSmallIntegerField(
        "benefit (0-100 %)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The patient's own rating: 0 = no benefit, 100 = symptoms fully relieved at best.",
    )
    reported_via = models.CharField("reported", max_length=10, choices=Source.choices, default=Source.VISIT)
    reported_on = models.DateField("reported on")
    notes = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        verbose_name = "cycle response"
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0, f"{name}__lte": MAX_WEEK}),
                    name=f"cycle_response_{name}_range",
                )
                for name in ("onset_week", "peak_week", "wear_off_week")
            ],
            models.CheckConstraint(condition=_not_before("onset_week", "peak_week"), name="cycle_response_onset_first"),
            models.CheckConstraint(
                condition=_not_before("peak_week", "wear_off_week"), name="cycle_response_peak_before_wear_off"
            ),
            models.CheckConstraint(
                condition=_not_before("onset_week", "wear_off_week"), name="cycle_response_onset_before_wear_off"
            ),
            models.CheckConstraint(
                condition=Q(pgic__isnull=True) | Q(pgic__gte=1, pgic__lte=7), name="cycle_response_pgic_range"
            ),
            models.CheckConstraint(
                condition=Q(benefit_percent__isnull=True) | Q(benefit_percent__gte=0, benefit_percent__lte=100),
                name="cycle_response_benefit_range",
            ),
            models.CheckConstraint(
                condition=Q(reported_via__in=["visit", "phone"]), name="cycle_response_reported_via_valid"
            ),
        ]

    def __str__(self):
        return f"Response to the injections of {self.visit}"

    @property
    def audit_patient_id(self):
        return self.visit.patient_id

    @property
    def duration_weeks(self):
        """Weeks of benefit: from onset to wear-off, when both are known."""
        if self.onset_week is None or self.wear_off_week is None:
            return None
        return self.wear_off_week - self.onset_week

    @property
    def is_empty(self):
        return all(
            value is None
            for value in (self.onset_week, self.peak_week, self.wear_off_week, self.pgic, self.benefit_percent)
        )

    @property
    def summary(self):
        """'benefit 60 %, PGIC 2 Much improved, began week 1, strongest week 4, wore off week 11'."""
        parts = []
        if self.benefit_percent is not None:
            parts.append(f"benefit {self.benefit_percent} %")
        if self.pgic is not None:
            parts.append(f"PGIC {self.get_pgic_display()}")
        for label, value in (
            ("began", self.onset_week),
            ("strongest", self.peak_week),
            ("wore off", self.wear_off_week),
        ):
            if value is not None:
                parts.append(f"{label} week {value}")
        return ", ".join(parts) or "nothing recorded"

    def clean(self):
        errors = {}
        onset, peak, wear_off = self.onset_week, self.peak_week, self.wear_off_week
        if onset is not None and peak is not None and peak < onset:
            errors["peak_week"] = f"The effect cannot be strongest (week {peak}) before it began (week {onset})."
        if wear_off is not None:
            if peak is not None and wear_off < peak:
                errors["wear_off_week"] = (
                    f"The effect cannot wear off (week {wear_off}) before it was strongest (week {peak})."
                )
            elif onset is not None and wear_off < onset:
                errors["wear_off_week"] = (
                    f"The effect cannot wear off (week {wear_off}) before it began (week {onset})."
                )
        if self.visit_id and self.reported_on and self.reported_on < self.visit.date:
            errors["reported_on"] = (
                f"The response is reported after the injections of {self.visit.date:%d %b %Y}, not before."
            )
        if errors:
            raise ValidationError(errors)
