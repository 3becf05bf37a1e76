"""Patients, visits and what is recorded at a visit.

Every clinical model keeps its full history (django-simple-history): who changed what, when.
Nothing here is deleted by a normal user: patients are deactivated; a posture component that a
nurse un-ticks is removed from the assessment, and its history row keeps it.

Write through patients.services (validation across objects, the acting user, transactions);
read through patients.selectors (the chart's queries).
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from patients import dysphagia, posture, scoring
from patients.audit.managers import AuditedManager
from patients.colcap import BY_CODE, CODE_CHOICES, COMPONENTS, Direction
from patients.freetext import NOTES_MAX_LENGTH, limit
from patients.text import MRN_MAX_LENGTH, MRN_RULE, mrn_is_valid, normalise_mrn, patient_search_key

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# How far ahead a visit may be booked; further is almost always a typo in the year.
MAX_BOOKING_DAYS_AHEAD = 366


def _range(low, high):
    return [MinValueValidator(low), MaxValueValidator(high)]


def _score_constraints(model_name, items):
    """One CHECK per scored item: NULL (not scored) or within the item's range."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{item.key}__isnull": True})
            | Q(**{f"{item.key}__gte": item.low, f"{item.key}__lte": item.high}),
            name=f"{model_name}_{item.key}_range",
        )
        for item in items
    ]


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other / not stated"

    class Swallowing(models.TextChoices):
        NOT_ASSESSED = "not_assessed", "Not assessed"
        NORMAL = "normal", "Normal"
        MILD = "mild", "Mild difficulty"
        MODERATE = "moderate", "Moderate difficulty"
        SEVERE = "severe", "Severe difficulty"

    mrn = models.CharField("MRN", max_length=MRN_MAX_LENGTH, help_text=f"Medical record number. {MRN_RULE}")
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    diagnosis_date = models.DateField(
        "date of diagnosis", null=True, blank=True, help_text="When cervical dystonia was diagnosed, if known."
    )
    toxin_naive = models.BooleanField(
        "toxin-naive",
        default=True,
        help_text="Has never had botulinum toxin. Cleared when a first injection session is signed.",
    )
    baseline_swallowing = models.CharField(
        "baseline swallowing",
        max_length=20,
        choices=Swallowing.choices,
        default=Swallowing.NOT_ASSESSED,
        help_text="Swallowing before any injection; dysphagia may be present before treatment.",
    )
    notes = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    active = models.BooleanField(default=True, help_text="Inactive patients are kept, never deleted.")
    # Unidecode + casefold of the names and MRN, rebuilt on every save (patients.text).
    search_key = models.CharField(max_length=300, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        ordering = ["search_key", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["mrn"], name="patient_mrn_unique"),
            models.CheckConstraint(
                condition=Q(baseline_swallowing__in=["not_assessed", "normal", "mild", "moderate", "severe"]),
                name="patient_baseline_swallowing_valid",
            ),
        ]

    def __str__(self):
        return f"{self.family_name.upper()}, {self.given_name} ({self.mrn})"

    def save(self, *args, **kwargs):
        self.mrn = normalise_mrn(self.mrn)
        self.search_key = patient_search_key(family_name=self.family_name, given_name=self.given_name, mrn=self.mrn)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"family_name", "given_name", "mrn"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_key", "mrn"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("patients:patient_chart", args=[self.pk])

    @property
    def full_name(self):
        return f"{self.given_name} {self.family_name}"

    @property
    def audit_patient_id(self):
        """Which patient the audit trail files this change under (patients.audit)."""
        return self.pk

    def age_on(self, day):
        years = day.year - self.date_of_birth.year
        return years - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))

    @property
    def age(self):
        return self.age_on(timezone.localdate())

    @property
    def baseline_dysphagia(self):
        return dysphagia.baseline_dysphagia(self.baseline_swallowing)

    def clean(self):
        self.mrn = normalise_mrn(self.mrn)
        errors = {}
        if self.mrn and not mrn_is_valid(self.mrn):
            errors["mrn"] = f"'{self.mrn}' is not a valid MRN. {MRN_RULE}"
        today = timezone.localdate()
        if self.date_of_birth:
            if self.date_of_birth > today:
                errors["date_of_birth"] = "The date of birth cannot be in the future."
            elif self.date_of_birth < EARLIEST_BIRTH_DATE:
                errors["date_of_birth"] = f"The date of birth cannot be before {EARLIEST_BIRTH_DATE:%d %b %Y}."
        if self.diagnosis_date:
            if self.diagnosis_date > today:
                errors["diagnosis_date"] = "The date of diagnosis cannot be in the future."
            elif self.date_of_birth and self.diagnosis_date < self.date_of_birth:
                errors["diagnosis_date"] = "The date of diagnosis cannot be before the date of birth."
        if errors:
            raise ValidationError(errors)


class Visit(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    # The only moves the lifecycle allows.
    TRANSITIONS = {
        Status.SCHEDULED: (Status.IN_PROGRESS,),
        Status.IN_PROGRESS: (Status.COMPLETED,),
        Status.COMPLETED: (),
    }

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who recorded the visit (set when recording starts).",
    )
    notes = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["patient", "-date"], name="visit_patient_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "in_progress", "completed"]), name="visit_status_valid"
            ),
            # One visit per patient per day: a double-submitted booking must not create a second one.
            models.UniqueConstraint(fields=["patient", "date"], name="visit_once_per_patient_per_day"),
        ]

    def __str__(self):
        return f"{self.patient} visit {self.date:%d %b %Y}"

    def get_absolute_url(self):
        return reverse("patients:visit_detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status != self.Status.COMPLETED

    def clean(self):
        errors = {}
        today = timezone.localdate()
        if self.date and self.patient_id:
            if self.date < self.patient.date_of_birth:
                errors["date"] = (
                    f"The visit date cannot be before the patient's date of birth "
                    f"({self.patient.date_of_birth:%d %b %Y})."
                )
            elif (self.date - today).days > MAX_BOOKING_DAYS_AHEAD:
                errors["date"] = (
                    f"{self.date:%d %b %Y} is more than a year ahead; check the year. "
                    "Visits can be booked up to 12 months in advance."
                )
            elif self.status != self.Status.SCHEDULED and self.date > today:
                errors["date"] = "A visit in the future can only be scheduled; record it on the day."
        if errors:
            raise ValidationError(errors)


class PostureAssessment(models.Model):
    """The Col-Cap posture at one visit: one row here, one PostureComponent per present pattern."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="posture_assessment")
    notes = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    def __str__(self):
        return f"Posture at {self.visit}"

    @property
    def audit_patient_id(self):
        return self.visit.patient_id

    def findings(self):
        """The present components as posture.Finding (uses a prefetch of components when there is one)."""
        return posture.ordered(component.finding for component in self.components.all())

    @property
    def summary(self):
        return posture.summary(self.findings()) or "no abnormal posture"


def _component_constraints():
    lateral = [c.code for c in COMPONENTS if c.lateral]
    bilateral = [c.code for c in COMPONENTS if not c.lateral]
    severity = Q()
    for component in COMPONENTS:
        severity |= Q(code=component.code, severity__gte=1, severity__lte=component.max_severity)
    return [
        models.UniqueConstraint(fields=["assessment", "code"], name="posture_component_once_per_assessment"),
        models.CheckConstraint(
            condition=Q(code__in=lateral, direction__in=["left", "right"]) | Q(code__in=bilateral, direction=""),
            name="posture_component_direction_matches_pattern",
        ),
        models.CheckConstraint(condition=severity, name="posture_component_severity_in_range"),
    ]


class PostureComponent(models.Model):
    """A Col-Cap component present at an assessment, with its direction and severity."""

    DIRECTION_CHOICES = [(Direction.LEFT.value, "Left"), (Direction.RIGHT.value, "Right"), ("", "None (bilateral)")]

    assessment = models.ForeignKey(PostureAssessment, on_delete=models.CASCADE, related_name="components")
    code = models.CharField(max_length=40, choices=CODE_CHOICES)
    direction = models.CharField(max_length=5, choices=DIRECTION_CHOICES, blank=True)
    severity = models.PositiveSmallIntegerField()

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        constraints = _component_constraints()

    def __str__(self):
        return posture.describe(self.finding)

    @property
    def audit_patient_id(self):
        return self.assessment.visit.patient_id

    @property
    def component(self):
        return BY_CODE[self.code]

    @property
    def finding(self):
        return posture.Finding(code=self.code, direction=self.direction, severity=self.severity)

    def clean(self):
        problems = posture.validate_findings([self.finding])
        if problems:
            raise ValidationError({part: message for (_, part), message in problems.items()})


def _score_field(item, verbose_name=None):
    return models.PositiveSmallIntegerField(
        verbose_name or item.label, null=True, blank=True, validators=_range(item.low, item.high)
    )


class TwstrsAssessment(models.Model):
    """The TWSTRS items that are typed. Rotation, laterocollis, antero/retrocollis, both shifts and
    shoulder elevation come from the visit's posture assessment (scoring.twstrs_from_posture)."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="twstrs")
    duration = _score_field(scoring.TWSTRS_ITEMS["duration"])
    sensory_trick = _score_field(scoring.TWSTRS_ITEMS["sensory_trick"])
    range_of_motion = _score_field(scoring.TWSTRS_ITEMS["range_of_motion"])
    time = _score_field(scoring.TWSTRS_ITEMS["time"])
    work = _score_field(scoring.TWSTRS_ITEMS["work"])
    activities_of_daily_living = _score_field(scoring.TWSTRS_ITEMS["activities_of_daily_living"])
    driving = _score_field(scoring.TWSTRS_ITEMS["driving"])
    reading = _score_field(scoring.TWSTRS_ITEMS["reading"])
    television = _score_field(scoring.TWSTRS_ITEMS["television"])
    activities_outside_home = _score_field(scoring.TWSTRS_ITEMS["activities_outside_home"])
    pain_worst = _score_field(scoring.TWSTRS_ITEMS["pain_worst"])
    pain_best = _score_field(scoring.TWSTRS_ITEMS["pain_best"])
    pain_usual = _score_field(scoring.TWSTRS_ITEMS["pain_usual"])
    pain_duration = _score_field(scoring.TWSTRS_ITEMS["pain_duration"])
    pain_disability = _score_field(scoring.TWSTRS_ITEMS["pain_disability"])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        verbose_name = "TWSTRS assessment"
        constraints = _score_constraints("twstrs", [scoring.TWSTRS_ITEMS[key] for key in scoring.TWSTRS_TYPED_KEYS])

    def __str__(self):
        return f"TWSTRS at {self.visit}"

    @property
    def audit_patient_id(self):
        return self.visit.patient_id

    def typed_items(self):
        return {key: getattr(self, key) for key in scoring.TWSTRS_TYPED_KEYS}

    def clean(self):
        errors = {}
        worst, best, usual = self.pain_worst, self.pain_best, self.pain_usual
        if worst is not None and best is not None and best > worst:
            errors["pain_best"] = f"The best pain ({best}) cannot be worse than the worst pain ({worst})."
        if usual is not None:
            if worst is not None and usual > worst:
                errors["pain_usual"] = f"The usual pain ({usual}) cannot be worse than the worst pain ({worst})."
            elif best is not None and usual < best:
                errors["pain_usual"] = f"The usual pain ({usual}) cannot be milder than the best pain ({best})."
        if errors:
            raise ValidationError(errors)


class TsuiAssessment(models.Model):
    """The typed Tsui items; the tremor severity comes from the posture's head tremor components."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="tsui")
    rotation = _score_field(scoring.TSUI_ITEMS["rotation"])
    tilt = _score_field(scoring.TSUI_ITEMS["tilt"])
    antero_retrocollis = _score_field(scoring.TSUI_ITEMS["antero_retrocollis"])
    duration = _score_field(scoring.TSUI_ITEMS["duration"])
    shoulder_elevation = _score_field(scoring.TSUI_ITEMS["shoulder_elevation"])
    tremor_duration = _score_field(scoring.TSUI_ITEMS["tremor_duration"])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        verbose_name = "Tsui assessment"
        constraints = _score_constraints("tsui", [scoring.TSUI_ITEMS[key] for key in scoring.TSUI_TYPED_KEYS])

    def __str__(self):
        return f"Tsui at {self.visit}"

    @property
    def audit_patient_id(self):
        return self.visit.patient_id

    def typed_items(self):
        return {key: getattr(self, key) for key in scoring.TSUI_TYPED_KEYS}


class VisitOutcome(models.Model):
    """What the patient reports at the visit: pain now (0-10) and global impression of change."""

    class Pgic(models.IntegerChoices):
        VERY_MUCH_IMPROVED = 1, "1 Very much improved"
        MUCH_IMPROVED = 2, "2 Much improved"
        MINIMALLY_IMPROVED = 3, "3 Minimally improved"
        NO_CHANGE = 4, "4 No change"
        MINIMALLY_WORSE = 5, "5 Minimally worse"
        MUCH_WORSE = 6, "6 Much worse"
        VERY_MUCH_WORSE = 7, "7 Very much worse"

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="outcome")
    pain_now = models.PositiveSmallIntegerField(
        "pain now (0-10)",
        null=True,
        blank=True,
        validators=_range(0, 10),
        help_text="Neck pain today on a 0-10 numeric rating scale (0 none, 10 worst imaginable).",
    )
    pgic = models.PositiveSmallIntegerField(
        "patient's global impression of change",
        choices=Pgic.choices,
        null=True,
        blank=True,
        help_text="Since the last injection session (7-point PGIC). Leave blank at a first visit.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        verbose_name = "pain and global impression"
        constraints = [
            models.CheckConstraint(
                condition=Q(pain_now__isnull=True) | Q(pain_now__gte=0, pain_now__lte=10), name="outcome_pain_now_range"
            ),
            models.CheckConstraint(
                condition=Q(pgic__isnull=True) | Q(pgic__gte=1, pgic__lte=7), name="outcome_pgic_range"
            ),
        ]

    def __str__(self):
        return f"Outcome at {self.visit}"

    @property
    def audit_patient_id(self):
        return self.visit.patient_id


MAX_ONSET_DAYS = 120
MAX_DURATION_DAYS = 365


class AdverseEvent(models.Model):
    """A side effect reported at a visit about the previous injection session."""

    class Kind(models.TextChoices):
        DYSPHAGIA = "dysphagia", "Dysphagia (swallowing difficulty)"
        NECK_WEAKNESS = "neck_weakness", "Neck weakness"
        DRY_MOUTH = "dry_mouth", "Dry mouth"
        DYSPHONIA = "dysphonia", "Dysphonia (voice change)"
        INJECTION_SITE_PAIN = "injection_site_pain", "Injection-site pain"
        FLU_LIKE = "flu_like", "Flu-like symptoms"
        VISION_PTOSIS = "vision_ptosis", "Blurred vision or ptosis"
        BREATHING = "breathing", "Breathing difficulty"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class DysphagiaGrade(models.IntegerChoices):
        # Trials graded dysphagia 0-4, grades 3-4 severe (clinical-reference.md §5; anchors unverified).
        NONE = 0, "0 Normal swallowing (reported, not confirmed)"
        MILD = 1, "1 Mild: some foods harder, no diet change"
        MODERATE = 2, "2 Moderate: diet changed (soft food)"
        SEVERE = 3, "3 Severe: liquids or purée only"
        VERY_SEVERE = 4, "4 Very severe: cannot swallow safely, tube feeding"

    class Action(models.TextChoices):
        NONE = "none", "None needed"
        ADVICE = "advice", "Advice and observation"
        DIET = "diet", "Diet change (soft food)"
        MEDICATION = "medication", "Medication"
        REFERRAL = "referral", "Referral (e.g. speech and language therapy)"
        HOSPITAL = "hospital", "Emergency care or hospital admission"
        OTHER = "other", "Other (see details)"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    other_kind = models.CharField("what it was", max_length=200, blank=True, help_text="Required for 'Other'.")
    severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
        blank=True,
        help_text="For dysphagia the grade sets it (0-1 mild, 2 moderate, 3-4 severe); leave it blank.",
    )
    dysphagia_grade = models.PositiveSmallIntegerField(
        choices=DysphagiaGrade.choices, null=True, blank=True, help_text="Required for dysphagia (0-4)."
    )
    onset_days = models.PositiveSmallIntegerField(
        "onset (days after the injection)",
        validators=_range(0, MAX_ONSET_DAYS),
        help_text=f"0 = on the day of the injection; at most {MAX_ONSET_DAYS}.",
    )
    duration_days = models.PositiveSmallIntegerField(
        "duration (days)",
        null=True,
        blank=True,
        validators=_range(0, MAX_DURATION_DAYS),
        help_text=f"Leave blank while it lasts; at most {MAX_DURATION_DAYS}.",
    )
    action_taken = models.CharField(max_length=20, choices=Action.choices, default=Action.NONE)
    details = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH, validators=[limit(NOTES_MAX_LENGTH)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AuditedManager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="dysphagia", dysphagia_grade__gte=0, dysphagia_grade__lte=4)
                    | (~Q(kind="dysphagia") & Q(dysphagia_grade__isnull=True))
                ),
                name="adverse_event_dysphagia_grade",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["mild", "moderate", "severe"]), name="adverse_event_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(onset_days__gte=0, onset_days__lte=MAX_ONSET_DAYS), name="adverse_event_onset_range"
            ),
            models.CheckConstraint(
                condition=Q(duration_days__isnull=True) | Q(duration_days__gte=0, duration_days__lte=MAX_DURATION_DAYS),
                name="adverse_event_duration_range",
            ),
        ]

    def __str__(self):
        return f"{self.kind_label} ({self.get_severity_display().lower()})"

    @property
    def audit_patient_id(self):
        return self.visit.patient_id

    @property
    def kind_label(self):
        if self.kind == self.Kind.OTHER and self.other_kind:
            return self.other_kind
        return self.get_kind_display()

    @staticmethod
    def severity_for_grade(grade):
        if grade is None:
            return ""
        if grade >= 3:
            return AdverseEvent.Severity.SEVERE
        return AdverseEvent.Severity.MODERATE if grade == 2 else AdverseEvent.Severity.MILD

    @property
    def is_severe_dysphagia(self):
        return self.kind == self.Kind.DYSPHAGIA and self.dysphagia_grade is not None and self.dysphagia_grade >= 3

    @property
    def is_red_flag(self):
        """Breathing difficulty or severe dysphagia: shown prominently on the chart."""
        return self.kind == self.Kind.BREATHING or self.is_severe_dysphagia

    @property
    def is_dysphagia(self):
        return self.kind == self.Kind.DYSPHAGIA

    def clean(self):
        errors = {}
        if self.kind == self.Kind.DYSPHAGIA:
            if self.dysphagia_grade is None:
                errors["dysphagia_grade"] = "Choose the dysphagia grade (0-4)."
            else:
                derived = self.severity_for_grade(self.dysphagia_grade)
                if self.severity and self.severity != derived:
                    errors["severity"] = (
                        f"Dysphagia grade {self.dysphagia_grade} is {derived}; "
                        f"choose {derived} or leave the severity blank."
                    )
                else:
                    self.severity = derived
        else:
            if self.dysphagia_grade is not None:
                errors["dysphagia_grade"] = "A dysphagia grade is only recorded for dysphagia."
            if not self.severity:
                errors["severity"] = "Choose mild, moderate or severe."
        if self.kind == self.Kind.OTHER and not self.other_kind.strip():
            errors["other_kind"] = "Say what the side effect was."
        if self.kind != self.Kind.OTHER and self.other_kind:
            self.other_kind = ""
        if errors:
            raise ValidationError(errors)


# The response to each treatment cycle lives in its own module; imported here so Django registers it.
from patients.response import CycleResponse  # noqa: E402, F401
