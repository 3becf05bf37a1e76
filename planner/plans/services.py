"""Writes for injection plans. Keyword-only arguments, the acting user, one transaction each.

A plan is saved as a draft as often as the neurologist likes; every save names the version it
started from, so two people editing the same draft cannot silently overwrite each other. Signing
recomputes the findings on the server: errors stop it, each warning needs an acknowledgement, and
the signed session never changes again (corrections are amendments with a reason).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.audit.models import AuditEvent
from patients.audit.services import audit_record
from patients.services import patient_clear_toxin_naive
from planner.models import FindingAcknowledgement, Injection, InjectionSession
from planner.rules.safety import Level

STALE_VERSION = (
    "Someone else saved this plan after you opened it, so your changes were not saved. "
    "Reload the page to see their version, then make your changes again."
)


UNSET = object()  # an argument left out, as opposed to None

INACTIVE_PATIENT = "This patient is inactive: reactivate them before planning, preparing or signing."


@dataclass(frozen=True)
class RowInput:
    muscle: object  # a Muscle
    side: str
    dose: Decimal | None
    sites: int
    guidance: str


def _lock(session, version):
    """The session, locked for this transaction, after checking nobody saved it in between."""
    locked = InjectionSession.objects.select_for_update().select_related("visit__patient").get(pk=session.pk)
    if locked.is_signed:
        raise ValidationError("This session is signed and cannot be changed: amend it instead.")
    if version is not None and locked.version != version:
        raise ValidationError(STALE_VERSION, code="stale")
    if not locked.visit.patient.active:
        raise ValidationError(INACTIVE_PATIENT, code="inactive_patient")
    return locked


def _bump(locked, acting_user, fields):
    locked.version += 1
    locked._history_user = acting_user
    locked.full_clean(exclude=["visit", "created_by"])
    locked.save()
    return locked


@transaction.atomic
def session_start(*, visit, acting_user, copy_from=None):
    """The visit's draft plan, created if there is none; ``copy_from`` pre-fills it from a signed session.

    Copying keeps the muscles, sides, sites and guidance, and the doses only when the product is the
    same: the product is copied with them, and doses are never carried into another product's units.
    """
    existing = InjectionSession.objects.filter(visit=visit, amends__isnull=True).first()
    if existing is not None:
        return existing
    if not visit.is_open:
        raise ValidationError("This visit is completed: plans are made on an open visit.")
    if not visit.patient.active:
        raise ValidationError(INACTIVE_PATIENT, code="inactive_patient")
    session = InjectionSession(visit=visit, created_by=acting_user)
    if copy_from is not None:
        session.product = copy_from.product
        session.default_guidance = copy_from.default_guidance
    session._history_user = acting_user
    session.full_clean()
    session.save()
    if copy_from is not None:
        _copy_rows(copy_from, session, acting_user, keep_doses=True)
    return session


def _copy_rows(source, target, acting_user, *, keep_doses):
    for position, row in enumerate(source.injections.select_related("muscle")):
        copy = Injection(
            session=target,
            muscle=row.muscle,
            side=row.side,
            dose=row.dose if keep_doses and source.product_id == target.product_id else None,
            sites=row.sites,
            guidance=row.guidance,
            position=position,
        )
        copy._history_user = acting_user
        copy.full_clean()
        copy.save()


@transaction.atomic
def session_save_plan(*, session, version, product, default_guidance, rows, acting_user, doses_product=UNSET):
    """Replace the draft's product, guidance and rows. Returns (session, doses_cleared).

    ``doses_product`` is the product whose units the rows' doses were typed in (the editor sends it;
    its page script moves it to the new product when it clears the doses on a switch). Doses typed in
    another product's units than ``product``'s are dropped: they are not this product's units. Left out,
    the doses count as typed in the saved product, so changing the product drops every dose.
    """
    locked = _lock(session, version)
    typed_in = locked.product_id if doses_product is UNSET else getattr(doses_product, "pk", doses_product)
    product_changed = typed_in is not None and product is not None and typed_in != product.pk
    seen = set()
    for row in rows:
        key = (row.muscle.pk, row.side)
        if key in seen:
            raise ValidationError(f"{row.side.capitalize()} {row.muscle.name.lower()} is in the plan twice.")
        seen.add(key)
    existing = {(row.muscle_id, row.side): row for row in locked.injections.all()}
    for key, row in existing.items():
        if key not in seen:
            row._history_user = acting_user
            row.delete()
    doses_cleared = product_changed and any(row.dose is not None for row in rows)
    for position, row in enumerate(rows):
        injection = existing.get((row.muscle.pk, row.side)) or Injection(
            session=locked, muscle=row.muscle, side=row.side
        )
        injection.dose = None if product_changed else row.dose
        injection.sites = row.sites
        injection.guidance = row.guidance
        injection.position = position
        injection._history_user = acting_user
        injection.full_clean(exclude=["session"])
        injection.save()
    locked.product = product
    locked.default_guidance = default_guidance
    return _bump(locked, acting_user, ["product", "default_guidance"]), doses_cleared


@transaction.atomic
def session_add_row(*, session, version, muscle, side, dose=None, sites=1, guidance=None, acting_user):
    locked = _lock(session, version)
    if locked.injections.filter(muscle=muscle, side=side).exists():
        raise ValidationError(f"{side.capitalize()} {muscle.name.lower()} is already in the plan.")
    position = locked.injections.count()
    injection = Injection(
        session=locked,
        muscle=muscle,
        side=side,
        dose=dose,
        sites=sites,
        guidance=guidance or locked.default_guidance,
        position=position,
    )
    injection._history_user = acting_user
    injection.full_clean(exclude=["session"])
    injection.save()
    return _bump(locked, acting_user, [])


@transaction.atomic
def session_prefill(*, session, version, source, acting_user):
    """Replace the draft's rows with those of an earlier signed session (doses only if same product)."""
    locked = _lock(session, version)
    if not source.is_signed:
        raise ValidationError("Only a signed session can be copied.")
    for row in locked.injections.all():
        row._history_user = acting_user
        row.delete()
    if locked.product_id is None:
        locked.product = source.product
    _copy_rows(source, locked, acting_user, keep_doses=True)
    return _bump(locked, acting_user, ["product"])


@transaction.atomic
def session_prepare(
    *, session, version, lot_number, lot_expiry, vial_units, vial_count, diluent_ml, acting_user, reconstituted_at=None
):
    """Record the preparation. A lot that expires before the visit is refused: it cannot be used."""
    locked = _lock(session, version)
    if lot_expiry is not None and lot_expiry < locked.visit.date:
        raise ValidationError({"lot_expiry": lot_expiry_refusal(lot_expiry, locked.visit.date)})
    locked.lot_number = lot_number.strip()
    locked.lot_expiry = lot_expiry
    locked.vial_units = vial_units
    locked.vial_count = vial_count
    locked.diluent_ml = diluent_ml
    locked.reconstituted_at = reconstituted_at
    locked.prepared_by = acting_user
    locked.prepared_at = timezone.now()
    return _bump(locked, acting_user, [])


def lot_expiry_refusal(expiry, visit_date):
    return (
        f"This lot expired on {expiry:%d %b %Y}, before the visit on {visit_date:%d %b %Y}: it cannot be used. "
        f"Prepare another lot."
    )


def _finding_record(finding):
    return {
        "level": str(finding.level),
        "code": finding.code,
        "key": finding.key,
        "message": finding.message,
        "rule": finding.rule,
        "sources": list(finding.source_codes),
        "verification": str(finding.verification) if finding.verification else None,
        "clinic_policy": finding.clinic_policy,
    }


def _refusal(finding):
    if finding.level == Level.ERROR:
        return f"Cannot sign: {finding.message}"
    return f"Give a reason to sign above this limit: {finding.message}"


@transaction.atomic
def session_sign(*, session, version, acknowledgements, acting_user, planned_interval_weeks=None, now=None):
    """Sign the draft: the signing gate. Nothing from the caller decides what is checked.

    Under the row lock, the findings are recomputed from the database (the saved plan, the preparation,
    the patient's history, the reference limits: selectors.session_findings). Any error refuses; every
    override needs a written reason and every warning an acknowledgement in ``acknowledgements``, which
    maps a finding's key to the reason given ("" allowed for a warning). Keys of findings that no longer
    exist are ignored. Exactly the recomputed findings are stored with the signed session.
    """
    from planner.clinic.worklist import refresh_treatment_due
    from planner.plans.selectors import session_findings

    locked = _lock(session, version)
    if locked.product_id is None or not locked.injections.exists():
        raise ValidationError("Cannot sign an empty plan: choose a product and at least one muscle.")
    now = now or timezone.now()
    findings = session_findings(locked, now=now)
    reasons = {key: (reason or "").strip() for key, reason in acknowledgements.items()}
    refusals = [
        _refusal(finding)
        for finding in findings
        if finding.level == Level.ERROR or (finding.level == Level.OVERRIDE and not reasons.get(finding.key))
    ]
    if refusals:
        raise ValidationError(refusals, code="refused")
    acknowledged = [finding for finding in findings if finding.level in (Level.OVERRIDE, Level.WARNING)]
    missing = [finding for finding in acknowledged if finding.key not in reasons]
    if missing:
        raise ValidationError(
            [f"Acknowledge this warning before signing: {finding.message}" for finding in missing],
            code="unacknowledged",
        )
    for finding in acknowledged:
        acknowledgement = FindingAcknowledgement(
            session=locked,
            finding_key=finding.key,
            finding_code=finding.code,
            level=str(finding.level),
            message=finding.message,
            reason=reasons[finding.key],
            acknowledged_by=acting_user,
            acknowledged_at=now,
        )
        acknowledgement._history_user = acting_user
        acknowledgement.full_clean(exclude=["session", "acknowledged_by"])
        acknowledgement.save()
    locked.status = InjectionSession.Status.SIGNED
    locked.signed_by = acting_user
    locked.signed_at = now
    locked.findings_at_signing = [_finding_record(finding) for finding in findings]
    locked.planned_interval_weeks = planned_interval_weeks
    _bump(locked, acting_user, [])
    overrides = {finding.key: reasons[finding.key] for finding in acknowledged if finding.level == Level.OVERRIDE}
    audit_record(
        action=AuditEvent.Action.AMEND if locked.amends_id else AuditEvent.Action.SIGN,
        actor=acting_user,
        obj=locked,
        patient_id=locked.visit.patient_id,
        changes={
            "acknowledged": sorted(finding.key for finding in acknowledged if finding.level == Level.WARNING),
            "overrides": overrides,
        },
        reason=locked.amendment_reason,
    )
    patient = locked.visit.patient
    if patient.toxin_naive:
        patient_clear_toxin_naive(patient=patient, acting_user=acting_user)
    # The worklist's due date follows the new last session, committed with the signature.
    refresh_treatment_due([patient.pk])
    return locked


@transaction.atomic
def session_amend(*, original, reason, acting_user):
    """A draft correction of a signed session, pre-filled with everything it recorded."""
    original = InjectionSession.objects.select_for_update().get(pk=original.pk)
    if not original.is_signed:
        raise ValidationError("Only a signed session can be amended; edit the draft instead.")
    if InjectionSession.objects.filter(amends=original).exists():
        raise ValidationError("This session already has an amendment: amend the newest version instead.")
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the signed session needs correcting."})
    amendment = InjectionSession(
        visit=original.visit,
        product=original.product,
        default_guidance=original.default_guidance,
        lot_number=original.lot_number,
        lot_expiry=original.lot_expiry,
        vial_units=original.vial_units,
        vial_count=original.vial_count,
        diluent_ml=original.diluent_ml,
        prepared_by=original.prepared_by,
        prepared_at=original.prepared_at,
        reconstituted_at=original.reconstituted_at,
        amends=original,
        amendment_reason=reason.strip(),
        created_by=acting_user,
    )
    amendment._history_user = acting_user
    amendment.full_clean()
    amendment.save()
    _copy_rows(original, amendment, acting_user, keep_doses=True)
    return amendment
