from datetime import date, time

import factory

from patients import timeutils
from patients.models import ClinicianProfile, ClinicianStatus, InjectionSite, Treatment, User
from patients.treatments.injections import record_injection
from patients.treatments.writes import start_treatment
from therapies.models import Drug, Regimen


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("first_name")
    role = "patient"
    time_zone = "Europe/Paris"
    language = "fr"
    password = factory.django.Password("a-long-test-password")


class ClinicianFactory(UserFactory):
    """A clinician with a profile; approved unless `status` says otherwise."""

    class Meta:
        skip_postgeneration_save = True  # the profile points to the user: nothing to save again

    class Params:
        status = ClinicianStatus.APPROVED

    role = "clinician"
    profile = factory.RelatedFactory(
        "tests.factories.ClinicianProfileFactory",
        factory_related_name="user",
        status=factory.SelfAttribute("..status"),
    )


class ClinicianProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicianProfile

    specialty = "Dermatology"
    institution = "Hôpital Saint-Louis"
    registration_number = "10001234567"
    status = ClinicianStatus.APPROVED


class TreatmentFactory(factory.django.DjangoModelFactory):
    """Needs the catalogue loaded (the `catalogue` fixture); `drug_inn` chooses the drug."""

    class Meta:
        model = Treatment

    class Params:
        drug_inn = "guselkumab"

    patient = factory.SubFactory(UserFactory)
    drug = factory.LazyAttribute(lambda o: Drug.objects.get(inn=o.drug_inn))
    regimen = factory.LazyAttribute(lambda o: Regimen.objects.get(drug=o.drug, is_default=True))
    first_dose_on = date(2027, 1, 4)

    @classmethod
    def _create(cls, model_class, **fields):
        """Through the domain function, so the treatment's reminders are planned as in the app."""
        return start_treatment(**fields)


def log_dose(treatment: Treatment, number: int, day: date, at: time = time(9, 0), **fields):
    """Log dose `number` on `day` at `at`, home time, through the domain function."""
    return record_injection(
        treatment=treatment,
        dose_number=number,
        taken_at=timeutils.local_to_utc(day, at, treatment.patient.zone),
        site=fields.pop("site", InjectionSite.ABDOMEN_LEFT),
        **fields,
    )
