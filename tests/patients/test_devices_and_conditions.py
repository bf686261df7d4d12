"""Issue 16 on the patient side: the condition a treatment is for (item 3), the device the patient
uses (item 4), the safety articles of the product (item 6) and where the missed-dose rule comes
from (item 2), in French and in English."""

import importlib
from datetime import UTC, date, datetime
from html import unescape

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from content.loading import load_content
from patients.emails import send_templated_email
from patients.models import CareLink, Channel, Kind, Reminder, ReminderSettings, Treatment
from patients.reminders.delivery import email_context
from patients.reminders.registry import KINDS
from patients.travel.letters import letter_content
from patients.travel.plan import trip_plan
from patients.travel.trips import plan_trip
from patients.treatments.reads import overview, stock_of
from patients.treatments.writes import TreatmentError, record_delivery, start_treatment
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in
from therapies.models import Drug, Regimen

pytestmark = pytest.mark.django_db

BEFORE = datetime(2026, 12, 1, 12, tzinfo=UTC)


def url_in(language: str, name: str, *args) -> str:
    with translation.override(language):
        return reverse(name, args=args)


def page_text(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def start(patient, inn: str, presentation_key: str = "", regimen: str = "", **fields) -> Treatment:
    drug = Drug.objects.get(inn=inn)
    chosen = drug.regimens.get(name=regimen) if regimen else drug.regimens.get(is_default=True)
    return start_treatment(
        patient=patient,
        drug=drug,
        regimen=chosen,
        first_dose_on=fields.pop("first_dose_on", date(2027, 1, 4)),
        presentation_key=presentation_key,
        **fields,
    )


# --- Devices per dose follow the device (item 4) -------------------------------------------------


def test_an_80_mg_first_dose_is_two_devices_with_40_mg_pens(patient):
    treatment = start(patient, "adalimumab", "pen-40mg")
    first, second = overview(treatment, today=date(2027, 1, 1)).upcoming[:2]
    assert (first.dose_mg, first.devices) == (80, 2)
    assert (second.dose_mg, second.devices) == (40, 1)


def test_a_300_mg_dose_is_two_150_mg_pens_or_one_300_mg_pen(patient, other_patient):
    with_150 = start(patient, "secukinumab", "pen-150mg")
    with_300 = start(other_patient, "secukinumab", "pen-300mg")
    assert overview(with_150, today=date(2027, 1, 1)).upcoming[0].devices == 2
    assert overview(with_300, today=date(2027, 1, 1)).upcoming[0].devices == 1


@pytest.mark.parametrize(
    ("language", "amount"),
    [("en", "300 mg, 2 devices."), ("fr", "300\xa0mg, soit 2 stylos ou seringues.")],
)
def test_the_dashboard_counts_the_devices_of_the_patients_device(
    patient, patient_client, language, amount
):
    start(patient, "secukinumab", "pen-150mg")
    page = page_text(patient_client.get(url_in(language, "patients:dashboard")))
    assert amount in page
    device = {"en": "pre-filled pen 150 mg", "fr": "stylo prérempli 150 mg"}[language]
    assert device in page


@pytest.mark.now(datetime(2027, 1, 5, 12, tzinfo=UTC))
def test_a_logged_dose_takes_its_devices_from_the_stock(patient):
    treatment = start(patient, "adalimumab", "pen-40mg")
    record_delivery(treatment=treatment, received_on=date(2027, 1, 2), devices=6)
    log_dose(treatment, 1, date(2027, 1, 4))
    assert treatment.injections.get().devices_used == 2
    assert stock_of(treatment, today=date(2027, 1, 5)) == (6, 4)


def test_the_trip_and_the_letters_follow_the_device(patient):
    start(patient, "adalimumab", "pen-40mg")
    trip = plan_trip(
        patient=patient,
        now=BEFORE,
        departs_on=date(2027, 1, 2),
        returns_on=date(2027, 1, 12),
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        traveller_name="Camille Martin",
        means="plane",
    )
    plan = trip_plan(trip)
    [medicine] = plan.medicines
    assert [d.dose.devices for d in medicine.doses] == [2, 1]  # 80 mg, then 40 mg
    assert medicine.devices_for_doses == 3
    [printed] = letter_content(trip, "prescription", issued_on=date(2026, 12, 1), plan=plan)[
        "medicines"
    ]
    assert (printed["strength"], printed["device"]) == ("40 mg per device", "pre-filled pen")
    assert [d["devices"] for d in printed["doses"]] == [2, 1]


def test_a_device_that_cannot_give_the_doses_is_refused(patient):
    with pytest.raises(TreatmentError):
        start(patient, "adalimumab", "pen-80mg")  # the 40 mg doses are not whole 80 mg pens
    assert not Treatment.objects.exists()


def test_a_drug_with_a_single_device_gets_it_without_asking(patient):
    treatment = start(patient, "brodalumab")
    assert treatment.presentation_key == "prefilled-syringe-210mg"
    assert not treatment.needs_presentation


# --- The start form (items 3 and 4) --------------------------------------------------------------


def start_form(**fields) -> dict:
    regimen = Regimen.objects.get(drug__inn=fields.pop("inn", "guselkumab"), is_default=True)
    return {"regimen": regimen.pk, "first_dose_on": "2027-01-04", **fields}


def test_the_start_form_asks_which_device_when_there_are_several(patient_client):
    response = patient_client.post(
        "/en/treatments/new/", start_form(condition="plaque_psoriasis_adult")
    )
    assert "guselkumab comes in several devices: choose the one you use." in page_text(response)
    assert not Treatment.objects.exists()


def test_the_start_form_refuses_a_device_of_another_medicine(patient_client):
    response = patient_client.post(
        "/en/treatments/new/",
        start_form(condition="plaque_psoriasis_adult", presentation="ixekizumab:pen-80mg"),
    )
    assert "This device is not one of guselkumab" in page_text(response)
    assert not Treatment.objects.exists()


def test_the_start_form_refuses_a_device_that_cannot_give_the_doses(patient_client):
    response = patient_client.post(
        "/en/treatments/new/",
        start_form(
            inn="adalimumab", condition="plaque_psoriasis_adult", presentation="adalimumab:pen-80mg"
        ),
    )
    assert "This device cannot give every dose of this regimen" in page_text(response)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "This regimen is for plaque psoriasis (adults). Choose the guselkumab regimen for "
            "psoriatic arthritis.",
        ),
        (
            "fr",
            "Ce schéma est prévu pour : psoriasis en plaques de l'adulte. Choisissez le schéma de "
            "guselkumab prévu pour : rhumatisme psoriasique.",
        ),
    ],
)
def test_a_regimen_for_another_condition_points_to_the_right_one(patient_client, language, message):
    response = patient_client.post(
        url_in(language, "patients:start_treatment"),
        start_form(condition="psoriatic_arthritis", presentation="guselkumab:pen-100mg"),
    )
    assert message in page_text(response)
    assert not Treatment.objects.exists()


@pytest.mark.parametrize(
    ("language", "refusal", "warning"),
    [
        (
            "en",
            "We hold no tocilizumab plan for Crohn's disease",
            "We hold no tocilizumab plan for Crohn's disease: the dates below are those of the "
            "plan for rheumatoid arthritis.",
        ),
        (
            "fr",
            "Nous n'avons pas de schéma de tocilizumab pour votre maladie (maladie de Crohn)",
            "Nous n'avons pas de schéma de tocilizumab pour votre maladie (maladie de Crohn) : les "
            "dates ci-dessous sont celles du schéma prévu pour : polyarthrite rhumatoïde.",
        ),
    ],
)
def test_a_condition_without_a_plan_is_said_and_the_specialists_plan_is_the_way(
    patient, patient_client, clinician, language, refusal, warning
):
    data = start_form(
        inn="tocilizumab", condition="crohns_disease", presentation="tocilizumab:pen-162mg"
    )
    page = page_text(patient_client.post(url_in(language, "patients:start_treatment"), data))
    assert refusal in page and 'name="specialist_plan"' in page
    assert not Treatment.objects.exists()  # never the rheumatoid arthritis plan in silence

    response = patient_client.post(
        url_in(language, "patients:start_treatment"), {**data, "specialist_plan": "on"}
    )
    assert response.status_code == 302
    treatment = Treatment.objects.get(patient=patient)
    assert treatment.condition == "crohns_disease" and treatment.plan_is_for_another_condition
    dashboard = page_text(patient_client.get(url_in(language, "patients:dashboard")))
    assert warning in dashboard
    assert f'href="{url_in(language, "patients:care_team")}"' in dashboard

    CareLink.objects.create(patient=patient, clinician=clinician)
    doctor = sign_in(Client(), clinician)
    clinic = page_text(doctor.get(url_in(language, "patients:clinic_patient", patient.pk)))
    assert f'href="#move-{treatment.pk}"' in clinic and f'id="move-{treatment.pk}"' in clinic


@pytest.mark.parametrize(
    ("language", "condition"),
    [("en", "For: psoriatic arthritis."), ("fr", "Pour : rhumatisme psoriasique.")],
)
def test_the_dashboard_says_which_condition_the_plan_is_for(
    patient, patient_client, language, condition
):
    start(patient, "guselkumab", "pen-100mg", regimen="psoriatic-arthritis")
    assert condition in page_text(patient_client.get(url_in(language, "patients:dashboard")))


def test_options_are_chosen_explicitly_not_preselected(patient_client):
    """Secukinumab has weight-based and strength options: nothing is chosen for the patient."""
    page = page_text(patient_client.post("/en/treatments/new/", {"preselect": "secukinumab"}))
    for regimen in Regimen.objects.filter(drug__inn="secukinumab"):
        assert f'<option value="{regimen.pk}">' in page
    regimens = page.split('name="regimen"')[1].split("</select>")[0]
    assert regimens.count("selected") == 1 and 'value="" selected' in regimens
    assert "90 kg" in page  # the label's condition for the weight-based option


def test_a_single_regimen_and_device_are_preselected(patient_client):
    page = page_text(patient_client.post("/en/treatments/new/", {"preselect": "brodalumab"}))
    regimen = Regimen.objects.get(drug__inn="brodalumab")
    assert f'<option value="{regimen.pk}" selected>' in page
    assert '<option value="brodalumab:prefilled-syringe-210mg" selected>' in page
    assert '<option value="plaque_psoriasis_adult" selected>' in page


# --- Existing treatments: the device asked on the dashboard (item 4) ----------------------------


@pytest.mark.parametrize(
    ("language", "question", "saved"),
    [
        ("en", "Which device do you use?", "Device: pre-filled syringe 100 mg"),
        ("fr", "Quel dispositif utilisez-vous ?", "Dispositif : seringue préremplie 100 mg"),
    ],
)
def test_the_dashboard_asks_the_device_of_a_treatment_started_without_it(
    patient_client, treatment, language, question, saved
):
    assert treatment.presentation_key == "" and treatment.needs_presentation
    dashboard = page_text(patient_client.get(url_in(language, "patients:dashboard")))
    assert question in dashboard
    url = url_in(language, "patients:treatment_device", treatment.pk)
    assert f'href="{url}"' in dashboard
    form = page_text(patient_client.get(url))
    assert 'value="pen-100mg"' in form and 'value="prefilled-syringe-100mg"' in form
    assert patient_client.post(url, {"presentation": "pen-80mg"}).status_code == 200
    response = patient_client.post(url, {"presentation": "prefilled-syringe-100mg"})
    assert response.status_code == 302
    treatment.refresh_from_db()
    assert treatment.presentation_key == "prefilled-syringe-100mg"
    dashboard = page_text(patient_client.get(url_in(language, "patients:dashboard")))
    assert saved in dashboard and question not in dashboard


def test_another_patient_cannot_set_the_device(client, other_patient, treatment):
    client.force_login(other_patient)
    response = client.post(f"/en/treatments/{treatment.pk}/device/", {"presentation": "pen-100mg"})
    assert response.status_code == 404
    treatment.refresh_from_db()
    assert treatment.presentation_key == ""


def test_the_migration_gives_existing_treatments_their_drugs_single_device(patient, other_patient):
    single = start(patient, "brodalumab")
    several = start(other_patient, "guselkumab", "pen-100mg")
    Treatment.objects.update(presentation_key="")  # as before the migration
    migration = importlib.import_module("patients.migrations.0009_treatment_presentation_condition")
    migration.default_to_the_single_presentation(apps, None)
    single.refresh_from_db()
    several.refresh_from_db()
    assert single.presentation_key == "prefilled-syringe-210mg"
    assert several.presentation_key == ""  # asked on the dashboard


# --- Safety articles of the product (item 6) -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "infections", "biosimilars"),
    [
        (
            "en",
            "Infections and fever during treatment",
            "Biosimilars: what changes and what does not",
        ),
        (
            "fr",
            "Infections et fièvre pendant le traitement",
            "Les biosimilaires : ce qui change, ce qui ne change pas",
        ),
    ],
)
def test_the_dashboard_and_the_therapy_page_link_the_products_safety_articles(
    patient, patient_client, other_patient, language, infections, biosimilars
):
    load_content()
    start(patient, "adalimumab", "pen-40mg")
    for page in (
        page_text(patient_client.get(url_in(language, "patients:dashboard"))),
        page_text(patient_client.get(url_in(language, "therapies:detail", "adalimumab"))),
    ):
        assert infections in page and biosimilars in page
    # Biosimilars are not about guselkumab: its pages do not link that article.
    start(other_patient, "guselkumab", "pen-100mg")
    other = Client()
    other.force_login(other_patient)
    for page in (
        page_text(other.get(url_in(language, "patients:dashboard"))),
        page_text(other.get(url_in(language, "therapies:detail", "guselkumab"))),
    ):
        assert infections in page and biosimilars not in page


# --- Where the missed-dose rule comes from (item 2) ----------------------------------------------


@pytest.mark.now(datetime(2027, 1, 12, 12, tzinfo=UTC))
@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("inn", "origin"),
    [
        ("ixekizumab", {"en": "label used outside the EU", "fr": "hors de l"}),
        ("guselkumab", {"en": "manufacturer's information", "fr": "information du laboratoire"}),
        ("adalimumab", {"en": "Our default rule", "fr": "Notre règle par défaut"}),
    ],
)
def test_the_dashboard_and_the_overdue_email_say_where_the_missed_dose_rule_comes_from(
    patient, patient_client, language, inn, origin
):
    treatment = TreatmentFactory(patient=patient, drug_inn=inn, first_dose_on=date(2027, 1, 4))
    # The e-mail gives the rule when the patient chose to see the medicine's name (the discreet
    # default leaves it to the app: tests/security/test_issue_17.py).
    ReminderSettings.objects.create(patient=patient, calendar_discreet=False)
    patient.language = language
    patient.save(update_fields=["language"])
    with translation.override(language):
        advice, source = (
            str(treatment.drug.missed_dose_advice),
            str(treatment.drug.missed_dose_source),
        )
    assert origin[language] in advice and source
    dashboard = page_text(patient_client.get(url_in(language, "patients:dashboard")))
    assert advice in dashboard and source in dashboard

    reminder = Reminder.objects.create(
        patient=patient,
        kind=Kind.OVERDUE_DOSE,
        occurrence="test",
        channel=Channel.EMAIL,
        due_at=timezone.now(),
        treatment=treatment,
        dose_number=1,
        about_date=date(2027, 1, 4),
    )
    with translation.override(language):
        send_templated_email(
            to=patient.email,
            name="overdue_dose",
            context=email_context(reminder, today=date(2027, 1, 12)),
        )
    (message,) = mail.outbox
    assert advice in message.body and source in message.body
    assert advice in unescape(message.alternatives[0][0])


def test_the_dose_reminders_count_the_devices_of_the_patients_device(patient):
    treatment = start(patient, "secukinumab", "pen-150mg")
    reminder = Reminder(
        patient=patient, kind=Kind.UPCOMING_DOSE, treatment=treatment, dose_number=1
    )
    assert KINDS[Kind.UPCOMING_DOSE].context(reminder)["devices"] == 2


def test_the_letters_give_the_specialists_plan_when_the_catalogue_has_none(patient):
    treatment = start(patient, "tocilizumab", "pen-162mg", condition="crohns_disease")
    assert treatment.plan_is_for_another_condition
    trip = plan_trip(
        patient=patient,
        now=BEFORE,
        departs_on=date(2027, 1, 2),
        returns_on=date(2027, 1, 12),
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        traveller_name="Camille Martin",
        means="plane",
    )
    content = letter_content(
        trip, "prescription", issued_on=date(2026, 12, 1), plan=trip_plan(trip)
    )
    [printed] = content["medicines"]
    assert printed["schedule"] == "as prescribed by the treating specialist"


def test_where_a_regimen_is_written_per_device_the_one_for_the_patients_device_is_asked(
    patient_client,
):
    """Cosentyx 300 mg is written twice (one 300 mg pen, or two 150 mg pens): a 150 mg pen
    with the 300 mg-pen regimen is sent to the other, whose label names the right device."""
    one_pen = Regimen.objects.get(drug__inn="secukinumab", name="standard-1x300mg")
    two_pens = Regimen.objects.get(drug__inn="secukinumab", name="standard-2x150mg")
    data = {
        "regimen": one_pen.pk,
        "condition": "plaque_psoriasis_adult",
        "presentation": "secukinumab:pen-150mg",
        "first_dose_on": "2027-01-04",
    }
    page = page_text(patient_client.post(url_in("en", "patients:start_treatment"), data))
    assert f"With this device, choose the regimen written for it: {two_pens.label_en}" in page
    assert not Treatment.objects.exists()
    response = patient_client.post(
        url_in("en", "patients:start_treatment"), {**data, "regimen": two_pens.pk}
    )
    assert response.status_code == 302
