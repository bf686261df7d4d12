"""Travel letters, always in English: their content, approval, verification and PDF.

A draft is rendered from the trip as it is now. Approval freezes the content (with the
prescriber's block) in a `Letter` row; its QR code points to a public page that says whether the
letter is valid, revoked or expired, and shows as little as possible about the traveller.

The PDF is rendered by `patients.pdf` (closed to the outside). All user text goes through
Django's auto-escaping, so markup in a name is printed as text.
"""

from dataclasses import dataclass
from datetime import date, datetime

import segno
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from patients.care import record_access
from patients.models import (
    AccessAction,
    ClinicianProfile,
    Letter,
    LetterKind,
    Means,
    Trip,
    User,
)
from patients.travel.plan import MedicinePlan, TripPlan, trip_plan
from therapies.models import DeviceKind

DEVICE_NAMES = {
    DeviceKind.PEN: "pre-filled pen",
    DeviceKind.PREFILLED_SYRINGE: "pre-filled syringe",
}
MEANS_NAMES = {
    Means.PLANE: "by air",
    Means.TRAIN: "by train",
    Means.CAR: "by road",
    Means.BOAT: "by sea",
    Means.OTHER: "",
}


class State:
    """How a letter is printed."""

    DRAFT = "draft"  # waiting for a linked clinician's approval: watermarked
    FOR_SIGNATURE = "for_signature"  # no linked clinician: space for a hand signature and stamp
    APPROVED = "approved"


def long_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def initials(name: str) -> str:
    return " ".join(f"{part[0].upper()}." for part in name.split() if part[0].isalpha())


# --- Content -------------------------------------------------------------------------------------


def prescriber_block(clinician: User) -> dict:
    profile: ClinicianProfile = clinician.clinician_profile
    return {
        "name": clinician.display_name,
        "specialty": profile.specialty,
        "institution": profile.institution,
        "registration_number": profile.registration_number,
    }


def packs_listed(medicine: MedicinePlan) -> list[dict]:
    """The packs carried, as the letters print them when the patient asks (issue 22): brand,
    batch, expiry, product code when the box's code was read, and the devices taken from it."""
    brands = ", ".join(medicine.treatment.drug.brand_names)
    return [
        {
            "brand": brands,
            "batch": carried.pack.batch,
            "expires_on": long_date(carried.pack.expires_on),
            "gtin": carried.pack.gtin,
            "devices": carried.devices,
        }
        for carried in medicine.packs
    ]


def letter_content(
    trip: Trip, kind: str, *, issued_on: date, plan: TripPlan, prescriber: dict | None = None
) -> dict:
    """Everything a letter prints, as English text ready to show (and to freeze as JSON)."""
    with translation.override("en"):
        medicines = []
        for medicine in plan.medicines:
            drug, spec = medicine.treatment.drug, medicine.treatment.dose_spec()
            presentation = medicine.treatment.presentation
            if presentation is not None:  # the device the patient carries
                per_device, device_kinds = presentation.strength_mg, [presentation.kind]
            else:
                whole = spec.dose_mg % spec.devices == 0
                per_device = spec.dose_mg // spec.devices if whole else None
                device_kinds = drug.device_kinds
            medicines.append(
                {
                    "inn": drug.inn,
                    "brands": ", ".join(drug.brand_names),
                    "strength": f"{per_device} mg per device" if per_device else "",
                    "dose": f"{spec.dose_mg} mg",
                    "schedule": (
                        "as prescribed by the treating specialist"
                        if medicine.treatment.plan_is_for_another_condition
                        else medicine.treatment.regimen.label_en
                    ),
                    "route": "subcutaneous injection",
                    "device": " or ".join(DEVICE_NAMES[k] for k in device_kinds),
                    "devices_carried": medicine.devices_to_carry,
                    "spare_devices": medicine.spare_devices,
                    "doses": [
                        {
                            "date": long_date(d.dose.date),
                            "dose": f"{d.dose.dose_mg} mg",
                            "devices": d.dose.devices,
                        }
                        for d in medicine.doses
                    ],
                    "packs": packs_listed(medicine) if trip.list_packs else [],
                }
            )
        return {
            "kind": kind,
            "issued_on": long_date(issued_on),
            "traveller": {
                "name": trip.traveller_name,
                "date_of_birth": long_date(trip.date_of_birth),
                "passport_number": trip.passport_number,
                "initials": initials(trip.traveller_name),
                "birth_year": trip.date_of_birth.year if trip.date_of_birth else None,
            },
            "diagnosis": trip.diagnosis,
            "trip": {
                "destination": trip.destination.name,
                "departs_on": long_date(trip.departs_on),
                "returns_on": long_date(trip.returns_on),
                "means": MEANS_NAMES[Means(trip.means)],
                "by_air": trip.means == Means.PLANE,
            },
            "medicines": medicines,
            "list_packs": trip.list_packs,
            "inns": [m["inn"] for m in medicines],
            "prescriber": prescriber,
        }


@dataclass(frozen=True)
class LetterView:
    """A letter as it will print: the frozen approved one, or a draft from the trip now."""

    kind: str
    content: dict
    state: str
    letter: Letter | None  # the approved row, when there is one

    @property
    def title(self) -> str:
        return str(LetterKind(self.kind).label)


def live_letter(trip: Trip, kind: str) -> Letter | None:
    return Letter.objects.filter(trip=trip, kind=kind, revoked_at__isnull=True).first()


def letter_view(
    trip: Trip, kind: str, *, today: date, has_clinician: bool, plan: TripPlan | None = None
) -> LetterView:
    letter = live_letter(trip, kind)
    if letter is not None:
        return LetterView(kind, letter.content, State.APPROVED, letter)
    content = letter_content(trip, kind, issued_on=today, plan=plan or trip_plan(trip))
    return LetterView(kind, content, State.DRAFT if has_clinician else State.FOR_SIGNATURE, None)


# --- Approval, revocation, verification ----------------------------------------------------------


def approve_letter(*, trip: Trip, kind: str, clinician: User, now: datetime) -> Letter:
    """Freeze the letter as it is now, signed by `clinician`; a previous approval is replaced."""
    today = now.astimezone(clinician.zone).date()
    content = letter_content(
        trip, kind, issued_on=today, plan=trip_plan(trip), prescriber=prescriber_block(clinician)
    )
    with transaction.atomic():
        Letter.objects.filter(trip=trip, kind=kind, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=clinician
        )
        letter = Letter.objects.create(
            trip=trip,
            kind=kind,
            content=content,
            approved_by=clinician,
            approved_at=now,
            valid_until=trip.returns_on,
        )
        record_access(
            patient=trip.patient_id, actor=clinician, action=AccessAction.APPROVED_LETTER, now=now
        )
    return letter


def revoke_letter(*, letter: Letter, by: User, now: datetime) -> bool:
    revoked = Letter.objects.filter(pk=letter.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if revoked and by.pk != letter.trip.patient_id:
        record_access(
            patient=letter.trip.patient_id, actor=by, action=AccessAction.REVOKED_LETTER, now=now
        )
    return bool(revoked)


class Validity:
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"


def validity(letter: Letter, *, today: date) -> str:
    if letter.revoked_at is not None:
        return Validity.REVOKED
    if today > letter.valid_until:
        return Validity.EXPIRED
    return Validity.VALID


def verification_url(letter: Letter) -> str:
    with translation.override("en"):
        return settings.SITE_URL + reverse("verify_letter", args=[letter.token])


def qr_code(url: str) -> str:
    """An inline SVG QR code of `url` (no file, no fetch)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=3, title="QR code to check this letter online", svgclass="qr"
    )
    return mark_safe(svg)  # segno builds this markup around a URL we built


# --- HTML and PDF --------------------------------------------------------------------------------


def letter_context(view: LetterView) -> dict:
    context = {"view": view, "c": view.content}
    if view.letter is not None:
        url = verification_url(view.letter)
        context |= {"verify_url": url, "qr": qr_code(url), "letter_id": view.letter.token}
    return context


def letter_html(view: LetterView) -> str:
    """The standalone English document WeasyPrint renders (also what `make bench` saves)."""
    with translation.override("en"):
        return render_to_string("letters/document.html", letter_context(view))


def pdf_filename(view: LetterView) -> str:
    return f"travel-{view.kind}.pdf"
