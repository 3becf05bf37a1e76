"""The worklist's index: each patient's latest signed session and the date the next one is due."""

from django.db import models
from django.db.models import Q

from planner.models.plans import InjectionSession
from planner.models.reference import (
    Product,
)


class TreatmentDue(models.Model):
    """Each patient's latest current signed session and the date the next one is due: the worklist's index.

    Derived data, never edited by hand. The session facts (``session``, ``last_session``, ``product``,
    ``planned_interval_weeks``) are rebuilt from the sessions by ``planner.clinic.worklist.refresh_treatment_due``
    whenever a session is signed or a visit changes. The due date also depends on the reference data (the
    product's minimum interval), which admins may change at any time, so ``delay_days`` records the delay
    it was worked out with; the worklist re-works any row whose delay no longer matches before reading.
    Without this table the worklist ranked every signed session in the clinic on each request.
    """

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, primary_key=True, related_name="treatment_due"
    )
    session = models.OneToOneField(InjectionSession, on_delete=models.CASCADE, related_name="+")
    last_session = models.DateField("last session")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    planned_interval_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    # Days from the last session to the due date; empty until the worklist has worked it out.
    delay_days = models.PositiveIntegerField(null=True, blank=True)
    due = models.DateField("due", null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due"], name="treatment_due_date")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(delay_days__isnull=True) & Q(due__isnull=True))
                | (Q(delay_days__isnull=False) & Q(due__isnull=False)),
                name="treatment_due_with_its_delay",
            ),
        ]

    def __str__(self):
        return f"Patient {self.patient_id} due {self.due or 'not worked out yet'}"
