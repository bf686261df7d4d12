"""Changes to a treatment: start, stop, stock received, a dose moved. Each one plans the
treatment's reminders again in its own transaction."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.care import record_access
from patients.models import AccessAction, DoseOverride, StockDelivery, Treatment, User
from patients.treatments.injections import log_doses_taken_before
from patients.treatments.reminders import plan_reminders
from therapies.models import Drug, Regimen


class TreatmentError(ValueError):
    pass


def start_treatment(
    *,
    patient: User,
    drug: Drug,
    regimen: Regimen,
    first_dose_on: date,
    prescriber_name: str = "",
    presentation_key: str = "",
    condition: str = "",
    last_dose_on: date | None = None,
) -> Treatment:
    """`presentation_key` is the device the patient uses (defaults to the drug's only one);
    `condition` the one they are treated for (the regimen's indication when not said). A
    patient already on it gives `last_dose_on`, and the doses up to that day are logged at once
    (so the app does not greet them with an overdue dose 1)."""
    if regimen.drug_id != drug.pk:
        raise TreatmentError("The regimen does not belong to this drug.")
    if last_dose_on is not None and last_dose_on < first_dose_on:
        raise TreatmentError("The last dose cannot come before the first one.")
    if not presentation_key and len(drug.presentation_rows) == 1:
        presentation_key = drug.presentation_rows[0]["key"]
    if presentation_key:
        _check_presentation(regimen, presentation_key)
    try:
        with transaction.atomic():
            treatment = Treatment.objects.create(
                patient=patient,
                drug=drug,
                regimen=regimen,
                first_dose_on=first_dose_on,
                prescriber_name=prescriber_name.strip(),
                presentation_key=presentation_key,
                condition=condition,
            )
            if last_dose_on is not None:
                log_doses_taken_before(treatment=treatment, last_dose_on=last_dose_on)
            else:
                plan_reminders(treatment=treatment, now=timezone.now())
            return treatment
    except IntegrityError:
        raise TreatmentError("already_active") from None


def _check_presentation(regimen: Regimen, key: str) -> None:
    if key not in {p.key for p in regimen.presentations()}:
        raise TreatmentError("This device cannot give the doses of this regimen.")


def set_presentation(*, treatment: Treatment, presentation_key: str) -> None:
    """The patient says which device they use: the devices of each dose, the stock and the
    low-stock reminder follow it from now on (doses already logged keep their count)."""
    _check_presentation(treatment.regimen, presentation_key)
    treatment.presentation_key = presentation_key
    with transaction.atomic():
        treatment.save(update_fields=["presentation_key"])
        plan_reminders(treatment=treatment, now=timezone.now())


def stop_treatment(*, treatment: Treatment, on: date) -> None:
    """The treatment leaves the dashboard; its history stays (and a new one may start)."""
    treatment.stopped_on = on
    with transaction.atomic():
        treatment.save(update_fields=["stopped_on"])
        plan_reminders(treatment=treatment, now=timezone.now())


def record_delivery(
    *,
    treatment: Treatment,
    received_on: date,
    devices: int,
    batch: str = "",
    expires_on: date | None = None,
    gtin: str = "",
) -> StockDelivery:
    """One pack received: its devices and, when known, batch, expiry and product code."""
    with transaction.atomic():
        delivery = StockDelivery.objects.create(
            treatment=treatment,
            received_on=received_on,
            devices=devices,
            batch=batch.strip(),
            expires_on=expires_on,
            gtin=gtin,
        )
        plan_reminders(treatment=treatment, now=timezone.now())
    return delivery


def move_dose(*, treatment: Treatment, dose_number: int, on: date, by: User) -> DoseOverride:
    """A clinician moves one planned dose to another day; the doses after it do not move. The
    move is in the patient's access log."""
    now = timezone.now()
    with transaction.atomic():
        override, _created = DoseOverride.objects.update_or_create(
            treatment=treatment, dose_number=dose_number, defaults={"date": on, "set_by": by}
        )
        record_access(
            patient=treatment.patient_id, actor=by, action=AccessAction.MOVED_DOSE, now=now
        )
        plan_reminders(treatment=treatment, now=now)
    return override
