"""Exports: CSV of signed sessions and injections for a date range, and FHIR R4 JSON for one patient.

Both export what was actually given: the CURRENT signed sessions (an amended session appears once,
as its amendment, which names the session it corrects). Every dose travels with its product's
units label ("60", "U Botox"); nothing is added across products or converted.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) are prefixed with an apostrophe: lot numbers and reasons are typed by people.

FHIR (R4, 4.0.1): a Bundle of type "collection" holding the Patient; a Medication per session
(the product and the lot: batch.lotNumber, batch.expirationDate); a MedicationAdministration per
injection (body site = the muscle, with its laterality as a SNOMED CT qualifier in an extension,
route intramuscular, dose as a Quantity in the product's units, no UCUM code because product units
are not a unit of measure); an Observation per TWSTRS total with the three subscales as components
(status "preliminary" for a partial entry); and an AdverseEvent per side effect, pointing at the
session's Medication it followed. The tests validate the output against the official FHIR R4 JSON
schema. Local code systems live under FHIR_SYSTEM_BASE (a setting; set it to the clinic's own URL).
"""

import csv
import io
import uuid
from datetime import timedelta

from django.conf import settings

from patients.audit.csvsafe import safe_cell
from planner.models import InjectionSession
from planner.plans.history import current_sessions, patient_cycles, patient_records
from planner.reference.formatting import amount
from planner.rules.totals import dose_total

# --- CSV -------------------------------------------------------------------------------------------

SESSION_COLUMNS = [
    "session_id",
    "visit_date",
    "patient_mrn",
    "product_code",
    "product",
    "units",
    "total_dose",
    "injection_rows",
    "lot_number",
    "lot_expiry",
    "signed_by",
    "signed_at",
    "amends_session_id",
    "amendment_reason",
]
INJECTION_COLUMNS = [
    "session_id",
    "injection_id",
    "visit_date",
    "patient_mrn",
    "product_code",
    "product",
    "muscle_code",
    "muscle",
    "side",
    "dose",
    "units",
    "sites",
    "guidance",
    "lot_number",
]


def sessions_in_range(*, date_from, date_to):
    """Current signed sessions with visits between the dates (inclusive), with patient and rows."""
    sessions = InjectionSession.objects.filter(visit__date__gte=date_from, visit__date__lte=date_to)
    return current_sessions(sessions).select_related("visit__patient").order_by("visit__date", "pk")


def _signer(session):
    user = session.signed_by
    return (user.get_full_name() or user.get_username()) if user else ""


def sessions_csv(sessions):
    """CSV text: one row per signed session."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SESSION_COLUMNS)
    for session in sessions:
        rows = list(session.injections.all())
        total = dose_total(row.dose for row in rows)
        writer.writerow(
            safe_cell(value)
            for value in (
                session.pk,
                session.visit.date.isoformat(),
                session.visit.patient.mrn,
                session.product.code,
                session.product.brand_name,
                session.product.units_label,
                amount(total),
                len(rows),
                session.lot_number,
                session.lot_expiry.isoformat() if session.lot_expiry else "",
                _signer(session),
                session.signed_at.isoformat() if session.signed_at else "",
                session.amends_id or "",
                session.amendment_reason,
            )
        )
    return out.getvalue()


def injections_csv(sessions):
    """CSV text: one row per injection (muscle and side) of each signed session."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(INJECTION_COLUMNS)
    for session in sessions:
        for row in session.injections.all():
            writer.writerow(
                safe_cell(value)
                for value in (
                    session.pk,
                    row.pk,
                    session.visit.date.isoformat(),
                    session.visit.patient.mrn,
                    session.product.code,
                    session.product.brand_name,
                    row.muscle.code,
                    row.muscle.name,
                    row.side,
                    amount(row.dose) if row.dose is not None else "",
                    session.product.units_label,
                    row.sites,
                    row.get_guidance_display(),
                    session.lot_number,
                )
            )
    return out.getvalue()


# --- FHIR R4 -----------------------------------------------------------------------------------------

FHIR_VERSION = "4.0.1"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# SNOMED CT qualifier values: laterality and the intramuscular route.
LATERALITY = {"left": ("7771000", "Left"), "right": ("24028007", "Right")}
INTRAMUSCULAR = ("78421000", "Intramuscular route")
GENDER = {"female": "female", "male": "male", "other": "other"}
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Names every resource id in a bundle from the same stable namespace, so the same data always
# exports to the same fullUrls (a receiving system can recognise a re-import).
ID_NAMESPACE = uuid.UUID("8d6f1f4e-5a33-4c1e-9a43-2f1f6c0b7d21")


def system_base():
    return getattr(settings, "FHIR_SYSTEM_BASE", "https://cd-planner.invalid/fhir").rstrip("/")


def _system(name):
    return f"{system_base()}/{name}"


def _full_url(kind, pk):
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{kind}/{pk}')}"


def _reference(kind, pk, display=""):
    reference = {"reference": _full_url(kind, pk)}
    if display:
        reference["display"] = display
    return reference


def _number(value):
    """A JSON number for a Decimal: an int when whole (60), else a float (7.5)."""
    text = amount(value)
    return float(text) if "." in text else int(text)


def patient_resource(patient):
    resource = {
        "resourceType": "Patient",
        "id": f"patient-{patient.pk}",
        "identifier": [{"use": "usual", "system": _system("mrn"), "value": patient.mrn}],
        "active": patient.active,
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    return resource


def medication_resource(cycle):
    session, product = cycle.session, cycle.product
    resource = {
        "resourceType": "Medication",
        "id": f"session-{session.pk}-product",
        "code": {
            "coding": [{"system": _system("product"), "code": product.code, "display": product.brand_name}],
            "text": f"{product.brand_name} ({product.generic_name})",
        },
    }
    batch = {}
    if session.lot_number:
        batch["lotNumber"] = session.lot_number
    if session.lot_expiry:
        batch["expirationDate"] = session.lot_expiry.isoformat()
    if batch:
        resource["batch"] = batch
    return resource


def administration_resource(cycle, dose, patient):
    session, product = cycle.session, cycle.product
    code, display = LATERALITY[dose.side]
    site = {
        "extension": [
            {
                "url": _system("StructureDefinition/laterality"),
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
            }
        ],
        "coding": [{"system": _system("muscle"), "code": dose.muscle_code, "display": dose.muscle_name}],
        "text": dose.site_text,
    }
    dosage = {
        "text": f"{dose.dose_text} {dose.site_text}, {dose.sites} site{'s' if dose.sites != 1 else ''}, "
        f"{dose.guidance} guidance",
        "site": site,
        "route": {"coding": [{"system": SNOMED, "code": INTRAMUSCULAR[0], "display": INTRAMUSCULAR[1]}]},
        "method": {"text": f"{dose.guidance} guidance"},
    }
    if dose.dose is not None:
        # The product's own units: not a UCUM unit, and never comparable with another product's.
        dosage["dose"] = {"value": _number(dose.dose), "unit": product.units_label}
    resource = {
        "resourceType": "MedicationAdministration",
        "id": f"injection-{dose.injection_id}",
        "identifier": [{"system": _system("injection"), "value": str(dose.injection_id)}],
        "status": "completed",
        "medicationReference": _reference("medication", session.pk, product.brand_name),
        "subject": _reference("patient", patient.pk),
        "effectiveDateTime": cycle.date.isoformat(),
        "dosage": dosage,
    }
    if session.signed_by:
        resource["performer"] = [{"actor": {"display": _signer(session)}}]
    if session.amends_id:
        resource["note"] = [
            {"text": f"Amended record (corrects session {session.amends_id}): {session.amendment_reason}"}
        ]
    return resource


def _score_quantity(value):
    return {"value": _number(value), "unit": "score", "system": UCUM, "code": "{score}"}


def twstrs_resource(record, patient):
    result = record.twstrs
    resource = {
        "resourceType": "Observation",
        "id": f"twstrs-{record.visit.pk}",
        "status": "final" if result.complete else "preliminary",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {
            "coding": [{"system": _system("scale"), "code": "TWSTRS-total", "display": "TWSTRS total score"}],
            "text": "TWSTRS total (0-85: severity 0-35, disability 0-30, pain 0-20)",
        },
        "subject": _reference("patient", patient.pk),
        "effectiveDateTime": record.visit.date.isoformat(),
        "valueQuantity": _score_quantity(result.total),
        "component": [
            {
                "code": {
                    "coding": [{"system": _system("scale"), "code": f"TWSTRS-{subscale.name}"}],
                    "text": f"TWSTRS {subscale.name} (0-{subscale.maximum})",
                },
                "valueQuantity": _score_quantity(subscale.score),
            }
            for subscale in result.subscales
            if subscale.present
        ],
    }
    if not result.complete:
        resource["note"] = [{"text": f"Partial entry: {result.status}"}]
    return resource


def adverse_event_resource(event, reported_on, cycle, patient):
    resource = {
        "resourceType": "AdverseEvent",
        "id": f"adverse-event-{event.pk}",
        "actuality": "actual",
        "event": {"coding": [{"system": _system("side-effect"), "code": event.kind}], "text": event.kind_label},
        "subject": _reference("patient", patient.pk),
        "recordedDate": reported_on.isoformat(),
    }
    if event.severity:
        resource["severity"] = {
            "coding": [{"system": SEVERITY_SYSTEM, "code": event.severity, "display": event.get_severity_display()}]
        }
    if cycle is not None:
        # Onset is counted in days after the injection it followed.
        resource["date"] = (cycle.date + timedelta(days=event.onset_days)).isoformat()
        resource["suspectEntity"] = [{"instance": _reference("medication", cycle.session.pk, cycle.product.brand_name)}]
    return resource


def fhir_bundle(patient, *, timestamp):
    """A FHIR R4 collection Bundle of the patient's treatment record (plain dicts, ready for JSON)."""
    records = patient_records(patient)
    cycles = patient_cycles(patient, records=records)
    entries = [(_full_url("patient", patient.pk), patient_resource(patient))]
    for cycle in cycles:
        entries.append((_full_url("medication", cycle.session.pk), medication_resource(cycle)))
        entries += [
            (_full_url("injection", dose.injection_id), administration_resource(cycle, dose, patient))
            for dose in cycle.doses
        ]
    records.sort(key=lambda record: (record.visit.date, record.visit.pk))
    entries += [
        (_full_url("twstrs", record.visit.pk), twstrs_resource(record, patient))
        for record in records
        if record.twstrs is not None and not record.twstrs.empty
    ]
    followed = {id(reported.event): cycle for cycle in cycles for reported in cycle.events}
    entries += [
        (
            _full_url("adverse-event", event.pk),
            adverse_event_resource(event, record.visit.date, followed.get(id(event)), patient),
        )
        for record in records
        for event in record.adverse_events
    ]
    return {
        "resourceType": "Bundle",
        "id": f"patient-{patient.pk}-treatment-record",
        "meta": {"lastUpdated": timestamp.isoformat(timespec="seconds")},
        "type": "collection",
        "timestamp": timestamp.isoformat(timespec="seconds"),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
