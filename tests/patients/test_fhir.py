"""The FHIR export: a Bundle of type collection that the fhir.resources models accept when it
is parsed back, holding every live injection of the patient and nothing of anyone else."""

import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation

from patients.summary import fhir, sections
from patients.treatments.injections import delete_injection
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(treatment, other_patient):
    log_dose(treatment, 1, date(2027, 1, 4), lot_number="LOT-A1", site="thigh_left")
    log_dose(treatment, 2, date(2027, 2, 1), reaction="redness", note="camille-note")
    gone = log_dose(treatment, 3, date(2027, 3, 29))
    delete_injection(injection=gone)
    other = TreatmentFactory(
        patient=other_patient, drug_inn="secukinumab", first_dose_on=date(2027, 1, 4)
    )
    log_dose(other, 1, date(2027, 1, 4), lot_number="OTHER-LOT", note="ondine-note")
    return treatment


def download(client, user) -> tuple[dict, object]:
    sign_in(client, user)
    response = client.get(reverse("patients:export_fhir"))
    return json.loads(response.content), response


def resources(document: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.now(NOW)
def test_the_bundle_parses_back_as_a_fhir_collection(client, world):
    document, response = download(client, world.patient)
    assert response["Content-Type"] == "application/fhir+json"
    assert "attachment" in response["Content-Disposition"]
    bundle = Bundle.model_validate(document)  # raises if a resource is not valid
    assert bundle.type == "collection"
    assert [e.resource.get_resource_type() for e in bundle.entry] == [
        "Patient",
        "MedicationStatement",
        "MedicationAdministration",
        "MedicationAdministration",
    ]
    assert all(e.fullUrl.startswith("urn:uuid:") for e in bundle.entry)


@pytest.mark.now(NOW)
def test_it_holds_every_live_injection_of_the_patient_and_nothing_of_anyone_else(client, world):
    document, _ = download(client, world.patient)
    text = json.dumps(document)
    administrations = resources(document, "MedicationAdministration")
    live = world.injections.live().order_by("taken_at")
    assert [a["effectiveDateTime"] for a in administrations] == [
        i.taken_at.isoformat().replace("+00:00", "Z") for i in live
    ]
    assert "ondine-note" not in text and "OTHER-LOT" not in text and "secukinumab" not in text
    [patient] = resources(document, "Patient")
    patient_ref = f"urn:uuid:{patient['id']}"
    assert all(a["subject"]["reference"] == patient_ref for a in administrations)


@pytest.mark.now(NOW)
def test_an_injection_carries_its_dose_site_lot_and_reaction(client, world):
    document, _ = download(client, world.patient)
    first, second = resources(document, "MedicationAdministration")
    assert first["dosage"]["dose"] == {
        "value": 100,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert first["dosage"]["site"] == {"text": "Cuisse gauche"}
    assert first["contained"][0]["batch"] == {"lotNumber": "LOT-A1"}
    assert first["medicationReference"] == {"reference": "#medication"}
    assert "lotNumber" not in json.dumps(second)
    assert second["medicationCodeableConcept"]["text"].startswith("guselkumab")
    assert [n["text"] for n in second["note"]] == [
        "Réaction au point d’injection : Rougeur",
        "camille-note",
    ]


@pytest.mark.now(NOW)
def test_the_statement_is_the_treatment_with_its_regimen_and_prescriber(client, world):
    world.prescriber_name = "Dr Prescrit"
    world.save(update_fields=["prescriber_name"])
    document, _ = download(client, world.patient)
    [statement] = resources(document, "MedicationStatement")
    assert statement["status"] == "active"
    assert statement["effectivePeriod"] == {"start": "2027-01-04"}
    assert statement["dosage"][0]["text"] == str(world.regimen.label_fr)
    assert "Dr Prescrit" in statement["note"][0]["text"]
    assert statement["reasonCode"] == [{"text": str(world.regimen.get_indication_display())}]


@pytest.mark.now(NOW)
def test_the_export_reads_a_fixed_number_of_queries(world, patient, other_patient):
    counts = []
    for who in (patient, other_patient):
        with CaptureQueriesContext(connection) as queries:
            fhir.build_bundle(patient=who, now=NOW)
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.now(NOW)
def test_observation_sources_add_their_resources(client, world, monkeypatch):
    monkeypatch.setattr(
        sections, "OBSERVATION_SOURCES", ["tests.patients.test_fhir.example_observations"]
    )
    document, _ = download(client, world.patient)
    [observation] = resources(document, "Observation")
    Observation.model_validate(observation)
    assert observation["valueInteger"] == 4


def example_observations(*, patient, patient_reference):
    yield Observation.model_validate(
        {
            "resourceType": "Observation",
            "id": "0b7c3f1e-9d5a-4f7e-8c1a-2f4b6d8e0a13",
            "status": "final",
            "code": {"text": "example score"},
            "subject": {"reference": patient_reference},
            "valueInteger": 4,
        }
    )


def test_clinicians_and_strangers_get_no_fhir_file(client, clinician):
    sign_in(client, clinician)
    assert client.get(reverse("patients:export_fhir")).status_code == 404
    client.logout()
    assert client.get(reverse("patients:export_fhir")).status_code == 302


def test_the_models_refuse_a_resource_missing_what_fhir_requires():
    """What "validated by the models" covers: structure, types and cardinality (a required
    element missing, a malformed date). The models do not check codes against their value
    sets: the builder's codes (status, type) are constants written from the specification."""
    incomplete = {"resourceType": "MedicationAdministration", "status": "completed"}
    with pytest.raises(ValueError):
        MedicationAdministration.model_validate(incomplete)
    with pytest.raises(ValueError):
        Bundle.model_validate(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"fullUrl": "urn:uuid:x", "resource": incomplete}],
            }
        )
    with pytest.raises(ValueError):
        Bundle.model_validate(
            {"resourceType": "Bundle", "type": "collection", "timestamp": "last tuesday"}
        )
