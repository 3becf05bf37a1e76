"""The FHIR R4 export validates against the official R4 JSON schema and says what was given, in whose units."""

import gzip
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from django.urls import reverse

from patients.models import AdverseEvent
from planner.clinic.exports import LATERALITY, fhir_bundle
from tests.patients.factories import AdverseEventFactory, PatientFactory, TwstrsFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, signed_session, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "fhir-r4" / "fhir.schema.json.gz"
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"


@cache
def r4_schema():
    raw = gzip.decompress(SCHEMA.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the vendored FHIR R4 schema changed"
    schema = json.loads(raw)
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    return schema


@cache
def validator(definition=None):
    """The whole R4 schema, or one resource's definition within it (for readable messages)."""
    schema = r4_schema()
    if definition:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    return jsonschema.Draft6Validator(schema)


def r4_errors(resource, definition=None):
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator(definition).iter_errors(resource)]


def assert_valid_r4(bundle):
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert r4_errors(resource, resource["resourceType"]) == [], resource["id"]
    assert r4_errors(bundle) == []  # the whole bundle, against the schema's root as published


# R4 elements of minimum cardinality 1 that the JSON schema does not enforce (spec, resource pages).
REQUIRED = {
    "Bundle": ["type"],
    "MedicationAdministration": ["status", "subject"],
    "Observation": ["status", "code"],
    "AdverseEvent": ["actuality", "subject"],
}
CHOICES = {"MedicationAdministration": ["medication", "effective"]}


def assert_r4_cardinality(resource):
    kind = resource["resourceType"]
    for name in REQUIRED.get(kind, []):
        assert name in resource, f"{kind}.{name} is required in R4"
    for prefix in CHOICES.get(kind, []):
        assert sum(key.startswith(prefix) for key in resource) == 1, f"{kind}.{prefix}[x] is 1..1 in R4"


@pytest.fixture
def history(neurologist):
    """Dysport twice, then a switch to Botox with an amendment; a partial TWSTRS; side effects."""
    patient = PatientFactory(mrn="FH000001", family_name="Nguyễn", given_name="Thảo", sex="female")
    dysport, botox = product("ABO"), product("ONA")
    splenius, scm = muscle("SPLENIUS_CAPITIS", "Splenius capitis"), muscle("SCM", "Sternocleidomastoid")
    # A side effect before the first session here: reported at a first visit, no session to point at.
    first = VisitFactory(patient=patient, date=date(2025, 9, 1))
    AdverseEventFactory(visit=first, kind=AdverseEvent.Kind.FLU_LIKE)
    treated_visit(
        patient, date(2025, 9, 8), dysport, [(splenius, "left", 250, 2), (scm, "right", 125, 1)], signer=neurologist
    )
    treated_visit(
        patient,
        date(2025, 12, 8),
        dysport,
        [(splenius, "left", 250, 2), (scm, "right", 100, 1)],
        signer=neurologist,
        events=[{"kind": AdverseEvent.Kind.DYSPHAGIA, "dysphagia_grade": 3, "severity": "severe"}],
    )
    visit = VisitFactory(patient=patient, date=date(2026, 3, 9))
    TwstrsFactory(visit=visit, work=None, driving=None)  # partial
    original = signed_session(visit, botox, [(splenius, "left", 60, 2)], signer=neurologist, lot="C=1+2")
    signed_session(
        visit,
        botox,
        [(splenius, "left", 60, 2), (scm, "left", 7.5, 1)],
        signer=neurologist,
        amends=original,
        reason="Left SCM given but not recorded",
        lot="C=1+2",
    )
    return patient


def resources(bundle, kind):
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def test_the_export_validates_against_the_fhir_r4_schema(history):
    bundle = fhir_bundle(history, timestamp=NOW)
    assert_valid_r4(bundle)
    for entry in bundle["entry"]:
        assert_r4_cardinality(entry["resource"])
    assert_r4_cardinality(bundle)


def test_the_validation_catches_what_r4_does_not_allow(history):
    """The check can fail: a string dose, an R5-only element and a bad date are each refused."""
    bundle = fhir_bundle(history, timestamp=NOW)
    administration = resources(bundle, "MedicationAdministration")[0]
    broken = json.loads(json.dumps(administration))
    broken["dosage"]["dose"]["value"] = "60"
    assert r4_errors(broken, "MedicationAdministration")
    broken = {**administration, "medication": {"reference": administration["medicationReference"]}}  # R5 shape
    assert any("medication" in error for error in r4_errors(broken, "MedicationAdministration"))
    broken = {**administration, "effectiveDateTime": "15/06/2026"}
    assert r4_errors(broken, "MedicationAdministration")


def test_one_administration_per_injection_with_site_side_dose_in_product_units_and_lot(history):
    bundle = fhir_bundle(history, timestamp=NOW)
    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    administrations = resources(bundle, "MedicationAdministration")
    # Two Dysport sessions of two rows, and the Botox session as amended (its original is replaced): 2 + 2 + 2.
    assert len(administrations) == 6
    last = administrations[-1]
    assert last["effectiveDateTime"] == "2026-03-09"
    assert last["dosage"]["dose"] == {"value": 7.5, "unit": "U Botox"}
    assert last["dosage"]["site"]["coding"][0]["code"] == "SCM"
    assert last["dosage"]["site"]["text"] == "left sternocleidomastoid"
    laterality = last["dosage"]["site"]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert (laterality["system"], laterality["code"]) == ("http://snomed.info/sct", LATERALITY["left"][0])
    assert last["dosage"]["route"]["coding"][0]["code"] == "78421000"
    assert "Left SCM given but not recorded" in last["note"][0]["text"]
    medication = by_url[last["medicationReference"]["reference"]]
    assert medication["batch"]["lotNumber"] == "C=1+2"
    assert medication["code"]["coding"][0]["code"] == "ONA"
    for administration in administrations:
        product_code = by_url[administration["medicationReference"]["reference"]]["code"]["coding"][0]["code"]
        brand = {"ABO": "Dysport", "ONA": "Botox"}[product_code]
        assert administration["dosage"]["dose"]["unit"] == f"U {brand}"  # never another product's units
        assert "system" not in administration["dosage"]["dose"]  # product units are not UCUM


def test_every_reference_points_at_an_entry_of_the_bundle(history):
    bundle = fhir_bundle(history, timestamp=NOW)
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "reference" in node:
                found.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle["entry"])
    assert found and set(found) <= urls
    assert len(urls) == len(bundle["entry"])


def test_an_observation_per_twstrs_total_partial_ones_preliminary(history):
    observations = resources(fhir_bundle(history, timestamp=NOW), "Observation")
    assert [(o["effectiveDateTime"], o["status"]) for o in observations] == [
        ("2025-09-08", "final"),
        ("2025-12-08", "final"),
        ("2026-03-09", "preliminary"),
    ]
    complete = observations[0]
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in complete["component"]}
    assert sum(components.values()) == complete["valueQuantity"]["value"]
    assert set(components) == {"TWSTRS-severity", "TWSTRS-disability", "TWSTRS-pain"}
    assert "partial" in observations[-1]["note"][0]["text"]


def test_side_effects_point_at_the_session_they_followed(history):
    bundle = fhir_bundle(history, timestamp=NOW)
    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    flu, dysphagia = resources(bundle, "AdverseEvent")
    assert "suspectEntity" not in flu  # reported before any session here
    assert dysphagia["severity"]["coding"][0]["code"] == "severe"
    suspect = by_url[dysphagia["suspectEntity"][0]["instance"]["reference"]]
    assert suspect["resourceType"] == "Medication"
    assert suspect["code"]["coding"][0]["code"] == "ABO"
    assert dysphagia["date"] == (date(2025, 9, 8) + timedelta(days=5)).isoformat()  # onset day 5 after it
    assert dysphagia["recordedDate"] == "2025-12-08"


def test_a_patient_without_sessions_exports_just_the_patient(db):
    patient = PatientFactory(mrn="EMPTY001", sex="other")
    bundle = fhir_bundle(patient, timestamp=NOW)
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == ["Patient"]
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == "EMPTY001"
    assert_valid_r4(bundle)


def test_forty_visits_export_and_validate(neurologist):
    patient = PatientFactory(mrn="LONG0001")
    botox, splenius = product("ONA"), muscle("SPLENIUS_CAPITIS", "Splenius capitis")
    for number in range(40):
        treated_visit(
            patient,
            TODAY - timedelta(weeks=12 * number),
            botox,
            [(splenius, "right", 50 + number, 2)],
            signer=neurologist,
        )
    bundle = fhir_bundle(patient, timestamp=NOW)
    assert len(resources(bundle, "MedicationAdministration")) == len(resources(bundle, "Observation")) == 40
    assert_valid_r4(bundle)


def test_the_same_data_exports_to_the_same_identifiers(history):
    first = [entry["fullUrl"] for entry in fhir_bundle(history, timestamp=NOW)["entry"]]
    assert first == [entry["fullUrl"] for entry in fhir_bundle(history, timestamp=NOW)["entry"]]


def test_the_download_is_fhir_json_named_after_the_patient(client, nurse, history):
    client.force_login(nurse)
    response = client.get(reverse("clinic:patient_fhir", args=[history.pk]))
    assert response["Content-Type"] == "application/fhir+json"
    assert 'filename="treatment-record-FH000001-fhir-r4.json"' in response["Content-Disposition"]
    bundle = json.loads(response.content)
    assert bundle["entry"][0]["resource"]["name"][0] == {"use": "official", "family": "Nguyễn", "given": ["Thảo"]}
    assert_valid_r4(bundle)
