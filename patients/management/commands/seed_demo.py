"""Demo accounts for `make run`: a patient on guselkumab with a history, and a clinician.

Idempotent: running it again resets the demo patient's data to the same story, relative to today.
"""

from datetime import date, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients import timeutils
from patients.checklists import create_checklist, mark_done, share_checklist, verify_item
from patients.models import (
    CareLink,
    Checklist,
    ClinicianProfile,
    ClinicianStatus,
    InjectionSite,
    Means,
    ReminderSettings,
    Result,
    Role,
    Treatment,
    Trip,
    User,
)
from patients.security import readable_secret
from patients.travel.trips import plan_trip
from patients.treatments.injections import record_injection
from patients.treatments.reads import planned_dose
from patients.treatments.writes import record_delivery, start_treatment
from therapies.models import Drug

DEMO_PASSWORD = "demo-biologic-2026"
PATIENT_EMAIL = "patient@demo.example"
CLINICIAN_EMAIL = "clinician@demo.example"
# The demo clinician's authenticator secret: RFC 6238's test key (hex), published on purpose so
# anyone trying the demo can get its codes (`manage.py demo_totp`). Demo only: seed_demo refuses
# to run in production.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
SITES = InjectionSite.body_sites()


def demo_authenticator(clinician: User) -> TOTPDevice:
    """Specialists must use a second factor: the demo one has an authenticator with a fixed,
    published secret (DEMO_TOTP_KEY), so anyone trying the demo can get its codes."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=clinician,
        name="Demo authenticator",
        defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
    )
    TOTPDevice.objects.filter(user=clinician).exclude(pk=device.pk).delete()
    return device


class Command(BaseCommand):
    help = "Create (or reset) the demo patient and the demo clinician, and print their log-ins."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with a known password: not in production."
            )
        drug = Drug.objects.filter(inn="guselkumab").first()
        if drug is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        with transaction.atomic():
            patient = self._user(PATIENT_EMAIL, "Camille (demo)", Role.PATIENT)
            clinician = self._user(CLINICIAN_EMAIL, "Dr Martin (demo)", Role.CLINICIAN)
            Treatment.objects.filter(patient=patient).delete()
            self._story(patient, drug)
            self._care_team(patient, clinician)
            self._trip(patient)
            device = demo_authenticator(clinician)
        self.stdout.write(f"Demo accounts (password for both: {DEMO_PASSWORD})")
        self.stdout.write(f"  patient:   {PATIENT_EMAIL}")
        self.stdout.write(f"  clinician: {CLINICIAN_EMAIL}")
        self.stdout.write(
            "  the clinician's second step: the code of `python manage.py demo_totp`, or add the "
            f"key {readable_secret(device)} to an authenticator app (time-based, 6 digits)"
        )

    def _user(self, email: str, name: str, role: str) -> User:
        user, _ = User.objects.get_or_create(email=email, defaults={"display_name": name})
        user.display_name, user.role = name, role
        # Usable at once, even if the address was signed up with and never confirmed.
        user.is_active = True
        user.email_confirmed_at = user.email_confirmed_at or timezone.now()
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _care_team(self, patient: User, clinician: User) -> None:
        """An approved clinician linked to the patient, who shared a checklist for a switch to
        secukinumab (an anti-IL-17: the common checks plus the bowel-disease history); the
        clinician's own checks are verified, the patient has done two of theirs."""
        ClinicianProfile.objects.update_or_create(
            user=clinician,
            defaults={
                "specialty": "Dermatology",
                "institution": "Demo hospital",
                "registration_number": "10000000000",
                "status": ClinicianStatus.APPROVED,
            },
        )
        CareLink.objects.filter(patient=patient, clinician=clinician).delete()
        CareLink.objects.create(patient=patient, clinician=clinician)
        Checklist.objects.filter(patient=patient).delete()
        now = timezone.now()
        today = timeutils.local_today(patient.zone)
        checklist = create_checklist(
            patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
        )
        share_checklist(checklist=checklist, actor=clinician, now=now)
        items = {item.key: item for item in checklist.items.all()}
        for key in ("medical_history", "clinical_examination"):
            verify_item(
                item=items[key],
                done_on=today,
                result=Result.NORMAL,
                actor=clinician,
                now=now,
            )
        mark_done(
            item=items["blood_tests"],
            done_on=today - timedelta(days=2),
            note="Laboratoire du centre",
            actor=patient,
            now=now,
        )
        verify_item(
            item=items["blood_tests"], done_on=today, result=Result.NORMAL, actor=clinician, now=now
        )
        mark_done(
            item=items["chest_xray"],
            done_on=today - timedelta(days=1),
            note="",
            actor=patient,
            now=now,
        )

    def _trip(self, patient: User) -> None:
        """Two weeks in Japan in about seven weeks, with the dose after tomorrow's during it."""
        Trip.objects.filter(patient=patient).delete()
        today = timeutils.local_today(patient.zone)
        plan_trip(
            patient=patient,
            now=timezone.now(),
            destination="JP",
            destination_time_zone="Asia/Tokyo",
            departs_on=today + timedelta(days=50),
            returns_on=today + timedelta(days=64),
            means=Means.PLANE,
            traveller_name="Camille Demo",
            date_of_birth=date(1985, 6, 14),
        )

    def _story(self, patient: User, drug: Drug) -> None:
        """Started about 10 months ago; every dose so far logged, one of them 5 days late.

        The next dose is tomorrow and the demo is reminded the day before at the current hour,
        so the day-before e-mail is due as soon as the worker and beat are up.
        """
        zone = patient.zone
        today = timeutils.local_today(zone)
        ReminderSettings.objects.update_or_create(
            patient=patient,
            defaults={"lead_days": [2, 1, 0], "hour": timeutils.local_now(zone).hour},
        )
        treatment = start_treatment(
            patient=patient,
            drug=drug,
            regimen=drug.regimens.get(is_default=True),
            first_dose_on=today - timedelta(weeks=44) + timedelta(days=1),
            prescriber_name="Dr Martin",
        )
        record_delivery(treatment=treatment, received_on=treatment.first_dose_on, devices=4)
        record_delivery(treatment=treatment, received_on=today - timedelta(weeks=16), devices=3)
        number = 1
        while (dose := planned_dose(treatment, number)).date < today:
            late = timedelta(days=5 if number == 4 else 0)
            day = min(dose.date + late, today)
            record_injection(
                treatment=treatment,
                dose_number=number,
                taken_at=timeutils.local_to_utc(day, time(9, 30), zone),
                site=SITES[(number - 1) % len(SITES)],
            )
            number += 1
