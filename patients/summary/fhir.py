"""The patient's record as a FHIR Bundle (type `collection`), for another system to import.

Built and validated with the `fhir.resources` models of FHIR R4B (4.3.0), the closest the
package offers to R4 (4.0.1): R4B changed only the medication-definition, evidence-based
medicine and subscription parts of the specification, and "implementers that do not use the
specific portions where changes have been made can continue to use either R4 or R4B without any
functional difference" (https://hl7.org/fhir/R4B/r4b-explanation.html). The resources used
here (Bundle, Patient, MedicationStatement, MedicationAdministration, Medication) are in the
parts that did not change.

What the bundle holds:
- `Patient`, minimal: the display name and the language;
- a `MedicationStatement` per treatment (the patient reports it): the medicine, the regimen as
  dosage text, from the first dose to the stop date, the prescriber and condition as notes;
- a `MedicationAdministration` per live injection: the time (UTC), the planned dose in mg (when
  the devices used match the plan), the body site and the route as text, the reaction and note
  as notes, and, when the dose's pack or the patient says so (issue 22), a contained
  `Medication` with the batch (`batch.lotNumber`), the pack's expiry (`batch.expirationDate`)
  and the pack's product code as a GS1 GTIN coding (only when the box's code was read);
- whatever `patients.summary.sections.OBSERVATION_SOURCES` returns: the journal's scores and
  entries as Observations (`patients.summary.journal.observations`).

Codes: none for medicines and sites. An ATC code or a SNOMED CT body-site concept goes in only
with a cited source (the WHO ATC index entry, the SNOMED CT concept), and none is cited in this
project yet: every concept is carried as text, which FHIR allows (CodeableConcept.text). The
dose unit is UCUM's "mg" and the language BCP 47, the systems the FHIR specification names. The
one code is the pack's GTIN, read from the box itself, under the URI HL7's terminology gives
GS1's GTIN (https://terminology.hl7.org/NamingSystem-gtin.html: https://www.gs1.org/gtin).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle

from patients import timeutils
from patients.models import DoseOverride, Injection, InjectionSite, Reaction, Treatment, User
from patients.summary import sections
from patients.treatments.packs import batch_of_dose
from patients.treatments.reads import doses_until

CONTENT_TYPE = "application/fhir+json"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
GTIN = "https://www.gs1.org/gtin"


def urn(kind: str, pk: int) -> str:
    """A stable `urn:uuid:` for one row: the same record gives the same ids on every export."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.SITE_URL}/fhir/{kind}/{pk}')}"


def _entry(full_url: str, resource: dict) -> dict:
    return {"fullUrl": full_url, "resource": {"id": full_url.removeprefix("urn:uuid:")} | resource}


def medicine_text(treatment: Treatment) -> str:
    brands = ", ".join(treatment.drug.brand_names)
    return f"{treatment.drug.inn} ({brands})" if brands else treatment.drug.inn


def _patient(patient: User) -> dict:
    language = patient.language
    return {
        "resourceType": "Patient",
        "active": True,
        "name": [{"text": patient.display_name}] if patient.display_name else None,
        "communication": [
            {
                "language": {
                    "coding": [{"system": BCP47, "code": language}],
                    "text": patient.get_language_display(),
                },
                "preferred": True,
            }
        ],
    }


def _statement(treatment: Treatment, patient_ref: str, condition: str) -> dict:
    notes = []
    if treatment.prescriber_name:
        notes.append(_("Prescriber: %(name)s") % {"name": treatment.prescriber_name})
    period = {"start": treatment.first_dose_on.isoformat()}
    if treatment.stopped_on:
        period["end"] = treatment.stopped_on.isoformat()
    return {
        "resourceType": "MedicationStatement",
        "status": "stopped" if treatment.stopped_on else "active",
        "medicationCodeableConcept": {"text": medicine_text(treatment)},
        "subject": {"reference": patient_ref},
        "effectivePeriod": period,
        "dateAsserted": treatment.created_at.isoformat(),
        "informationSource": {"reference": patient_ref},
        # The regimen's label indication, then the condition in the patient's words if given.
        "reasonCode": [
            {"text": text}
            for text in (str(treatment.regimen.get_indication_display()), condition)
            if text
        ],
        "dosage": [
            {
                "text": str(treatment.regimen.label),
                "route": {"text": _("Subcutaneous injection")},
            }
        ],
        "note": [{"text": n} for n in notes] or None,
    }


def _administration(
    injection: Injection, treatment: Treatment, planned, patient_ref: str, statement_ref: str
) -> dict:
    dosage: dict = {
        "text": _("Dose %(number)s, %(devices)s device(s) used")
        % {"number": injection.dose_number, "devices": injection.devices_used},
        "site": {"text": str(InjectionSite(injection.site).label)},
        "route": {"text": _("Subcutaneous injection")},
    }
    if planned is not None and planned.devices == injection.devices_used:
        dosage["dose"] = {"value": planned.dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    notes = []
    if injection.reaction != Reaction.NONE:
        notes.append(
            _("Reaction at the injection site: %(reaction)s")
            % {"reaction": Reaction(injection.reaction).label}
        )
    if injection.note:
        notes.append(injection.note)
    resource = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "subject": {"reference": patient_ref},
        "effectiveDateTime": injection.taken_at.isoformat(),
        "supportingInformation": [{"reference": statement_ref}],
        "dosage": dosage,
        "note": [{"text": n} for n in notes] or None,
    }
    medication = _medication(injection, treatment)
    if medication is not None:
        resource["contained"] = [medication]
        resource["medicationReference"] = {"reference": "#medication"}
    else:
        resource["medicationCodeableConcept"] = {"text": medicine_text(treatment)}
    return resource


def _medication(injection: Injection, treatment: Treatment) -> dict | None:
    """The medicine given as a contained Medication, when there is something to say beyond its
    name: the batch, the pack's expiry, the pack's product code (GTIN)."""
    lot_number, expires_on = batch_of_dose(injection)
    batch = {"lotNumber": lot_number or None}
    if expires_on is not None:
        batch["expirationDate"] = expires_on.isoformat()
    code: dict = {"text": medicine_text(treatment)}
    gtin = injection.pack.gtin if injection.pack is not None else ""
    if gtin:
        code["coding"] = [{"system": GTIN, "code": gtin}]
    if not (lot_number or expires_on or gtin):
        return None
    return {
        "resourceType": "Medication",
        "id": "medication",
        "code": code,
        "batch": batch if lot_number or expires_on else None,
    }


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def build_bundle(*, patient: User, now: datetime) -> Bundle:
    """Every treatment and live injection of `patient`, and nobody else's, in a fixed number of
    queries; raises pydantic's ValidationError if a resource does not satisfy the models."""
    treatments = (
        Treatment.objects.filter(patient=patient)
        .select_related("drug", "regimen")
        .prefetch_related(
            Prefetch("overrides", queryset=DoseOverride.objects.all(), to_attr="all_overrides"),
            Prefetch(
                "injections",
                queryset=Injection.objects.live().select_related("pack").order_by("taken_at", "pk"),
                to_attr="live_injections",
            ),
        )
        .order_by("first_dose_on", "pk")
    )
    condition = getattr(getattr(patient, "visit_preparation", None), "condition", "")
    patient_ref = urn("patient", patient.pk)
    today = timeutils.local_today(patient.zone, now)
    with translation.override(patient.language):
        entries = [_entry(patient_ref, _patient(patient))]
        for treatment in treatments:
            statement_ref = urn("treatment", treatment.pk)
            entries.append(_entry(statement_ref, _statement(treatment, patient_ref, condition)))
            taken = {i.dose_number for i in treatment.live_injections}
            last = max((i.taken_on for i in treatment.live_injections), default=today)
            plan = {
                d.number: d
                for d in doses_until(treatment, until=max(today, last) + timedelta(1), taken=taken)
            }
            for injection in treatment.live_injections:
                resource = _administration(
                    injection,
                    treatment,
                    plan.get(injection.dose_number),
                    patient_ref,
                    statement_ref,
                )
                entries.append(_entry(urn("injection", injection.pk), resource))
        for source in sections.load(sections.OBSERVATION_SOURCES):
            for resource in source(patient=patient, patient_reference=patient_ref):
                data = resource.model_dump(mode="json", by_alias=True, exclude_none=True)
                entries.append({"fullUrl": f"urn:uuid:{data['id']}", "resource": data})
    return Bundle.model_validate(
        _without_none(
            {
                "resourceType": "Bundle",
                "id": str(uuid.uuid4()),
                "type": "collection",
                "timestamp": now.isoformat(),
                "entry": entries,
            }
        )
    )


def bundle_json(bundle: Bundle) -> bytes:
    return bundle.model_dump_json().encode()


def export_filename(*, patient: User, now: datetime) -> str:
    return f"interleukin-care-fhir-{now.astimezone(patient.zone):%Y-%m-%d}.json"
