import pytest

from patients.models import Treatment
from therapies.models import Regimen

pytestmark = pytest.mark.django_db


def test_starting_a_treatment_leads_to_its_plan(patient_client, patient):
    regimen = Regimen.objects.get(drug__inn="ixekizumab", is_default=True)
    response = patient_client.post(
        "/en/treatments/new/",
        {
            "regimen": regimen.pk,
            "condition": "plaque_psoriasis_adult",
            "presentation": "ixekizumab:pen-80mg",
            "first_dose_on": "2026-11-02",
            "prescriber_name": "Dr Martin",
            "confirm": "yes",  # a first injection long ago is confirmed
        },
    )
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"
    treatment = Treatment.objects.get(patient=patient)
    assert (treatment.drug.inn, treatment.prescriber_name) == ("ixekizumab", "Dr Martin")
    assert (treatment.presentation_key, treatment.condition) == (
        "pen-80mg",
        "plaque_psoriasis_adult",
    )


def test_the_regimens_are_grouped_by_medicine_and_a_drug_can_be_preselected(patient_client):
    """The therapy page POSTs the medicine (no drug name in a URL); nothing is started."""
    therapy = patient_client.get("/en/therapies/risankizumab/").content.decode()
    assert 'name="preselect" value="risankizumab"' in therapy
    response = patient_client.post("/en/treatments/new/", {"preselect": "risankizumab"})
    page = response.content.decode()
    assert response.status_code == 200 and '<optgroup label="risankizumab (Skyrizi)">' in page
    default = Regimen.objects.get(drug__inn="risankizumab", is_default=True)
    assert f'<option value="{default.pk}" selected>' in page
    assert "This field is required." not in page and not Treatment.objects.exists()


def test_one_active_treatment_per_medicine(patient_client, treatment):
    response = patient_client.post(
        "/en/treatments/new/", {"regimen": treatment.regimen.pk, "first_dose_on": "2027-03-01"}
    )
    assert "You already follow a treatment with guselkumab" in response.content.decode()
    assert Treatment.objects.count() == 1


def test_a_missing_date_is_explained(patient_client):
    regimen = Regimen.objects.get(drug__inn="guselkumab", is_default=True)
    response = patient_client.post("/en/treatments/new/", {"regimen": regimen.pk})
    page = response.content.decode()
    assert "Fill in “Date of the first injection”." in page
    assert "This field is required." not in page
    assert f'<option value="{regimen.pk}" selected>' in response.content.decode()


def test_stopping_a_treatment_keeps_its_history_and_allows_a_new_start(patient_client, treatment):
    from datetime import date

    from tests.factories import log_dose

    log_dose(treatment, 1, date(2027, 1, 4))
    page = patient_client.get(f"/en/treatments/{treatment.pk}/stop/").content.decode()
    assert "Never stop your treatment without talking to your specialist." in page
    patient_client.post(f"/en/treatments/{treatment.pk}/stop/")
    treatment.refresh_from_db()
    assert treatment.stopped_on is not None
    assert treatment.injections.count() == 1
    assert patient_client.get("/en/dashboard/")["Location"] == "/en/treatments/new/"
    response = patient_client.post(
        "/en/treatments/new/",
        {
            "regimen": treatment.regimen.pk,
            "condition": "plaque_psoriasis_adult",
            "presentation": "guselkumab:pen-100mg",
            "first_dose_on": "2026-11-01",
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    assert Treatment.objects.filter(patient=treatment.patient).count() == 2


def test_another_patients_treatment_cannot_be_stopped(client, other_patient, treatment):
    client.force_login(other_patient)
    assert client.post(f"/treatments/{treatment.pk}/stop/").status_code == 404
    treatment.refresh_from_db()
    assert treatment.stopped_on is None
