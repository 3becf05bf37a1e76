"""Writes. Every function takes keyword-only arguments and the acting user, validates the whole
change (full_clean plus the rules that span objects) before writing anything, runs in one
transaction and records the acting user in the history. Errors are ValidationError keyed by
the form field they belong to, so the view can show them at the field.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from patients import posture, scoring
from patients.models import (
    AdverseEvent,
    Patient,
    PostureAssessment,
    PostureComponent,
    TsuiAssessment,
    TwstrsAssessment,
    Visit,
    VisitOutcome,
)
from patients.text import normalise_mrn

PATIENT_FIELDS = (
    "mrn",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "diagnosis_date",
    "toxin_naive",
    "baseline_swallowing",
    "notes",
)


# --- Optimistic concurrency: an edit form carries the version of the record it showed. ---

# Fields that change on every save and say nothing to the person reading the message.
_BOOKKEEPING_FIELDS = ("created_at", "updated_at", "search_key")


class StaleRecordError(ValidationError):
    """Someone saved the record after the form showed it; nothing was written.

    ``current_version`` is the record's version now: a form that carries it replaces the other
    person's save on purpose, which is what saving again after reading the message means.
    """

    def __init__(self, message, *, current_version):
        super().__init__(message, code="stale")
        self.current_version = current_version


def record_version(record):
    """What an edit form carries to notice a save made after it was opened: when the record was last
    saved (every save moves ``updated_at``), or "" for a record that does not exist yet."""
    return record.updated_at.isoformat() if record is not None and record.pk else ""


def _lock_visit(visit):
    """Lock the visit row and reload it: the caller's copy may be older than what another user saved
    since, and a save from a stale copy would put back their old status or notes."""
    visit.refresh_from_db(from_queryset=Visit._base_manager.select_for_update())
    return visit


def _lock(record):
    """Lock a record's row and reload it, for the same reason as the visit."""
    record.refresh_from_db(from_queryset=type(record)._base_manager.select_for_update())
    return record


def _check_version(current, seen_version, *, noun, acting_user):
    """Refuse when the record changed (or was created) since the form showed ``seen_version``.

    The caller holds the row lock (or, for a record not created yet, its visit's), so two saves
    from forms opened on the same version cannot both pass. ``seen_version=None``: the caller sends
    no version (a service used from code, not from an edit form); nothing to compare.
    """
    if seen_version is None or record_version(current) == seen_version:
        return
    raise StaleRecordError(
        _stale_message(current, seen_version, noun, acting_user), current_version=record_version(current)
    )


def _stale_message(current, seen_version, noun, acting_user):
    latest = current.history.select_related("history_user").first() if current is not None else None
    when = f" at {timezone.localtime(latest.history_date):%H:%M on %d %b %Y}" if latest else ""
    yourself = latest is not None and latest.history_user_id is not None and latest.history_user_id == acting_user.pk
    if yourself:
        who = f"You saved {noun} in another window{when}, after you opened it here."
    else:
        name = ""
        if latest is not None and latest.history_user is not None:
            name = latest.history_user.get_full_name() or latest.history_user.get_username()
        by = f" ({name}{when})" if name else when
        verb = "recorded" if not seen_version else "saved"
        who = f"Someone else{by} {verb} {noun} after you opened it."
    changed = _fields_changed_since(current, seen_version, latest)
    what = f" {'You' if yourself else 'They'} changed: {', '.join(changed)}." if changed else ""
    return (
        f"{who}{what} Your entries below are not saved. Check them against the current record "
        "(open it in another tab), then save again to replace it, or reload this page to start from it."
    )


def _fields_changed_since(current, seen_version, latest):
    """Names of the fields the other save changed, from the history (empty when it cannot tell)."""
    try:
        seen_at = datetime.fromisoformat(seen_version) if seen_version else None
    except ValueError:
        return []  # not a version this app wrote
    if seen_at is not None and seen_at.tzinfo is None:
        return []
    seen = current.history.filter(updated_at=seen_at).first() if seen_at and latest is not None else None
    if latest is None or seen is None:
        return []  # created since, or a version the history does not know
    delta = latest.diff_against(seen, excluded_fields=_BOOKKEEPING_FIELDS)
    return [str(type(current)._meta.get_field(change.field).verbose_name) for change in delta.changes]


def _validate(instance, *, validate_constraints=True):
    """Fields and clean() first, then the database constraints.

    The constraints are checked only once the fields are valid: they restate the field rules as a
    safety net, and a "constraint violated" line next to the field's own message would only confuse.
    """
    instance.full_clean(validate_constraints=False)
    if validate_constraints:
        instance.validate_constraints()


def _save(instance, acting_user, *, validate_constraints=True):
    """Validate, save, and attribute the history row to the acting user."""
    _validate(instance, validate_constraints=validate_constraints)
    instance._history_user = acting_user
    instance.save()
    return instance


def duplicate_mrn_error(existing):
    """The MRN field's message when the MRN belongs to another patient: it links to their chart."""
    return ValidationError(
        {
            # Rendered (autoescaped): the name is data, the link is markup.
            "mrn": render_to_string("patients/includes/duplicate_mrn.html", {"patient": existing})
        },
        code="duplicate_mrn",
    )


def _check_mrn_free(mrn, *, exclude_pk=None):
    existing = Patient.objects.filter(mrn=normalise_mrn(mrn)).exclude(pk=exclude_pk).first()
    if existing:
        raise duplicate_mrn_error(existing)


def _save_patient(patient, acting_user):
    _check_mrn_free(patient.mrn, exclude_pk=patient.pk)
    _validate(patient, validate_constraints=False)  # the MRN's uniqueness: checked above, with a link
    patient._history_user = acting_user
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        # Someone registered the same MRN between our check and our insert.
        existing = Patient.objects.filter(mrn=patient.mrn).exclude(pk=patient.pk).first()
        if existing:
            raise duplicate_mrn_error(existing) from None
        raise
    return patient


@transaction.atomic
def patient_register(
    *,
    mrn,
    family_name,
    given_name,
    date_of_birth,
    sex,
    diagnosis_date=None,
    toxin_naive=True,
    baseline_swallowing=Patient.Swallowing.NOT_ASSESSED,
    notes="",
    acting_user,
):
    patient = Patient(
        mrn=mrn,
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        diagnosis_date=diagnosis_date,
        toxin_naive=toxin_naive,
        baseline_swallowing=baseline_swallowing,
        notes=notes,
    )
    return _save_patient(patient, acting_user)


@transaction.atomic
def patient_update(*, patient, acting_user, seen_version=None, **changes):
    """Change any of PATIENT_FIELDS; other names are refused.

    ``seen_version``: record_version() of the patient as the edit form showed it; a save made by
    someone else since is not overwritten (StaleRecordError).
    """
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"patient_update cannot change {sorted(unknown)}")
    _check_version(_lock(patient), seen_version, noun="this patient's details", acting_user=acting_user)
    for name, value in changes.items():
        setattr(patient, name, value.strip() if name in ("family_name", "given_name") else value)
    return _save_patient(patient, acting_user)


def _save_flag(patient, acting_user, name, value):
    """Set one yes/no flag on the patient and save only it.

    The rest of the record is not validated again: a stored value that today's rules refuse (an MRN
    from before the MRN rule) must not stop a deactivation with an error page; it is corrected in the
    edit form, which validates everything.
    """
    _lock(patient)
    setattr(patient, name, value)
    patient._history_user = acting_user
    patient.save(update_fields=[name, "updated_at"])
    return patient


@transaction.atomic
def patient_deactivate(*, patient, acting_user):
    """Hide the patient from the active list and stop new bookings. Nothing is deleted."""
    return _save_flag(patient, acting_user, "active", False)


@transaction.atomic
def patient_reactivate(*, patient, acting_user):
    _check_mrn_free(patient.mrn, exclude_pk=patient.pk)
    return _save_flag(patient, acting_user, "active", True)


@transaction.atomic
def patient_clear_toxin_naive(*, patient, acting_user):
    """The patient has now had toxin: the planner calls this when a first session is signed."""
    if not patient.toxin_naive:
        return patient
    return _save_flag(patient, acting_user, "toxin_naive", False)


def _require_active(patient, message="This patient is inactive: reactivate them first."):
    if not patient.active:
        raise ValidationError(message, code="inactive_patient")


def _check_day_free(patient, date, *, exclude_pk=None):
    """One visit per patient per day: a booking sent twice (a double click, a resubmitted form) is refused.

    The caller holds the patient's row lock, so two bookings for the same day cannot both pass; the
    database's unique constraint backs this up.
    """
    if date and Visit.objects.filter(patient=patient, date=date).exclude(pk=exclude_pk).exists():
        raise ValidationError(
            {"date": f"This patient already has a visit on {date:%d %b %Y}: open that visit instead."},
            code="visit_exists",
        )


def _save_visit(visit, acting_user):
    try:
        with transaction.atomic():
            return _save(visit, acting_user)
    except IntegrityError:
        _check_day_free(visit.patient, visit.date, exclude_pk=visit.pk)  # another request booked it meanwhile
        raise


@transaction.atomic
def visit_book(*, patient, date, notes="", acting_user):
    """A scheduled visit. The date may not be before birth nor more than a year ahead, nor a day the
    patient already has a visit."""
    _lock(patient)
    _require_active(patient, "This patient is inactive: reactivate them before booking a visit.")
    _check_day_free(patient, date)
    visit = Visit(patient=patient, date=date, notes=notes, status=Visit.Status.SCHEDULED, booked_by=acting_user)
    return _save_visit(visit, acting_user)


_visit_date_listeners: list = []


def register_visit_date_listener(listener):
    """Add a callable (once) that ``visit_update`` calls with the visit, in its transaction, when it corrects
    the visit's date: the planner keeps what it derives from visit dates this way (patients never imports
    planner). Returns it."""
    if listener not in _visit_date_listeners:
        _visit_date_listeners.append(listener)
    return listener


def unregister_visit_date_listener(listener):
    if listener in _visit_date_listeners:
        _visit_date_listeners.remove(listener)


@transaction.atomic
def visit_update(*, visit, date, notes, acting_user, seen_version=None):
    _check_version(_lock_visit(visit), seen_version, noun="this visit", acting_user=acting_user)
    _require_active(visit.patient)
    _check_day_free(_lock(visit.patient), date, exclude_pk=visit.pk)
    moved = visit.date != date
    visit.date = date
    visit.notes = notes
    visit = _save_visit(visit, acting_user)
    if moved:
        for listener in _visit_date_listeners:
            listener(visit)
    return visit


def _move(visit, status, acting_user):
    if status not in Visit.TRANSITIONS[visit.status]:
        raise ValidationError(
            f"A {visit.get_status_display().lower()} visit cannot become {Visit.Status(status).label.lower()}.",
            code="bad_transition",
        )
    visit.status = status
    if status == Visit.Status.IN_PROGRESS and visit.recorded_by_id is None:
        visit.recorded_by = acting_user
    return _save(visit, acting_user)


@transaction.atomic
def visit_start(*, visit, acting_user):
    """Scheduled -> in progress; the acting user becomes the one who recorded the visit."""
    _require_active(visit.patient)
    return _move(visit, Visit.Status.IN_PROGRESS, acting_user)


@transaction.atomic
def visit_complete(*, visit, acting_user):
    """In progress -> completed (a scheduled visit is started first)."""
    _require_active(visit.patient)
    if visit.status == Visit.Status.SCHEDULED:
        _move(visit, Visit.Status.IN_PROGRESS, acting_user)
    return _move(visit, Visit.Status.COMPLETED, acting_user)


def _open_for_recording(visit, acting_user):
    """Recording anything at a scheduled visit starts it (and fails for a visit in the future)."""
    _require_active(visit.patient, "This patient is inactive: reactivate them before recording.")
    if visit.status == Visit.Status.SCHEDULED:
        if visit.date > timezone.localdate():
            raise ValidationError(
                f"This visit is booked for {visit.date:%d %b %Y}; record it on the day.", code="future_visit"
            )
        _move(visit, Visit.Status.IN_PROGRESS, acting_user)


def _posture_findings_of(visit):
    assessment = PostureAssessment.objects.filter(visit=visit).prefetch_related("components").first()
    return assessment.findings() if assessment else None


@transaction.atomic
def posture_assessment_record(*, visit, findings: Iterable[posture.Finding], notes="", acting_user, seen_version=None):
    """Record (or replace) the posture at a visit: exactly the ``findings`` given are present.

    Errors are keyed "<CODE>_direction" / "<CODE>_severity", the posture form's field names.
    """
    findings = list(findings)
    problems = posture.validate_findings(findings) or posture.contradictions(findings, posture.contradiction_rules())
    if problems:
        raise ValidationError({f"{code}_{part}": message for (code, part), message in problems.items()})
    _lock_visit(visit)
    current = PostureAssessment.objects.filter(visit=visit).first()
    _check_version(current, seen_version, noun="the posture assessment", acting_user=acting_user)
    _open_for_recording(visit, acting_user)
    assessment = current or PostureAssessment(visit=visit)
    assessment.notes = notes
    assessment.assessed_by = acting_user
    _save(assessment, acting_user)
    wanted = {finding.code: finding for finding in findings}
    for component in list(assessment.components.all()):
        finding = wanted.pop(component.code, None)
        if finding is None:
            # Un-ticked: the history keeps the removed row and who removed it.
            component._history_user = acting_user
            component.delete()
        elif (component.direction, component.severity) != (finding.direction, finding.severity):
            component.direction, component.severity = finding.direction, finding.severity
            _save(component, acting_user)
    for finding in wanted.values():
        _save(
            PostureComponent(
                assessment=assessment, code=finding.code, direction=finding.direction, severity=finding.severity
            ),
            acting_user,
        )
    _clear_tsui_tremor_duration_without_tremor(visit, findings, acting_user)
    return assessment


def _clear_tsui_tremor_duration_without_tremor(visit, findings, acting_user):
    """A Tsui tremor duration needs a tremor in the posture; removing the tremor clears it."""
    tsui = TsuiAssessment.objects.filter(visit=visit).first()
    if tsui and tsui.tremor_duration is not None and posture.tremor_severity(findings) == 0:
        tsui.tremor_duration = None
        _save(tsui, acting_user)


def _typed_items(items: Mapping, typed_keys, derived_keys, scale):
    errors = {}
    for key in items:
        if key in derived_keys:
            errors[key] = (
                f"{scale} {key.replace('_', ' ')} comes from the posture assessment; change it there, not here."
            )
        elif key not in typed_keys:
            errors[key] = f"{key} is not a {scale} item."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def twstrs_record(*, visit, items: Mapping, acting_user, seen_version=None):
    """Record the typed TWSTRS items (missing or None = not scored yet: a partial entry).

    The six severity items that the posture measures are never accepted here: they are derived
    from the posture assessment (scoring.twstrs_from_posture).
    """
    _typed_items(items, scoring.TWSTRS_TYPED_KEYS, scoring.TWSTRS_POSTURE_KEYS, "TWSTRS")
    _lock_visit(visit)
    current = TwstrsAssessment.objects.filter(visit=visit).first()
    _check_version(current, seen_version, noun="the TWSTRS", acting_user=acting_user)
    _open_for_recording(visit, acting_user)
    record = current or TwstrsAssessment(visit=visit)
    for key in scoring.TWSTRS_TYPED_KEYS:
        setattr(record, key, items.get(key))
    record.recorded_by = acting_user
    return _save(record, acting_user)


@transaction.atomic
def tsui_record(*, visit, items: Mapping, acting_user, seen_version=None):
    """Record the typed Tsui items; the tremor severity comes from the posture assessment."""
    _typed_items(items, scoring.TSUI_TYPED_KEYS, ("tremor_severity",), "Tsui")
    findings = _posture_findings_of(visit)
    if items.get("tremor_duration") is not None and findings is not None and posture.tremor_severity(findings) == 0:
        raise ValidationError(
            {"tremor_duration": "The posture assessment records no head tremor; leave the tremor duration blank."}
        )
    _lock_visit(visit)
    current = TsuiAssessment.objects.filter(visit=visit).first()
    _check_version(current, seen_version, noun="the Tsui score", acting_user=acting_user)
    _open_for_recording(visit, acting_user)
    record = current or TsuiAssessment(visit=visit)
    for key in scoring.TSUI_TYPED_KEYS:
        setattr(record, key, items.get(key))
    record.recorded_by = acting_user
    return _save(record, acting_user)


@transaction.atomic
def visit_outcome_record(*, visit, pain_now=None, pgic=None, acting_user, seen_version=None):
    """Pain now (0-10) and the patient's global impression of change (1-7)."""
    _lock_visit(visit)
    current = VisitOutcome.objects.filter(visit=visit).first()
    _check_version(current, seen_version, noun="the pain and global impression", acting_user=acting_user)
    _open_for_recording(visit, acting_user)
    record = current or VisitOutcome(visit=visit)
    record.pain_now = pain_now
    record.pgic = pgic
    record.recorded_by = acting_user
    return _save(record, acting_user)


ADVERSE_EVENT_FIELDS = (
    "kind",
    "other_kind",
    "severity",
    "dysphagia_grade",
    "onset_days",
    "duration_days",
    "action_taken",
    "details",
)


def _check_adverse_event(event):
    if event.visit.patient.toxin_naive:
        raise ValidationError(
            "This patient is toxin-naive, so there is no previous session to report side effects about. "
            "If they were treated elsewhere, clear the toxin-naive flag on the patient first.",
            code="toxin_naive",
        )


@transaction.atomic
def adverse_event_record(*, visit, acting_user, **fields):
    """A side effect reported at ``visit`` about the previous session (fields: ADVERSE_EVENT_FIELDS)."""
    unknown = set(fields) - set(ADVERSE_EVENT_FIELDS)
    if unknown:
        raise TypeError(f"adverse_event_record does not take {sorted(unknown)}")
    event = AdverseEvent(visit=visit, recorded_by=acting_user, **fields)
    _check_adverse_event(event)
    _validate(event)  # before the visit moves, so a bad entry changes nothing
    _open_for_recording(visit, acting_user)
    return _save(event, acting_user)


@transaction.atomic
def adverse_event_update(*, event, acting_user, seen_version=None, **fields):
    unknown = set(fields) - set(ADVERSE_EVENT_FIELDS)
    if unknown:
        raise TypeError(f"adverse_event_update does not take {sorted(unknown)}")
    _check_version(_lock(event), seen_version, noun="this side effect", acting_user=acting_user)
    _require_active(event.visit.patient, "This patient is inactive: reactivate them before recording.")
    for name, value in fields.items():
        setattr(event, name, value)
    return _save(event, acting_user)
