import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from patients.models import Injection
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

# 10:00 in Paris on 3 February 2027: dose 2 of the guselkumab fixture was due on 1 February.
NOW = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)


def form_data(**overrides):
    data = {
        "taken_date": "2027-02-03",
        "taken_time": "08:30",
        "dose_number": "2",
        "site": "thigh_left",
        "reaction": "none",
        "lot_number": "LOT-42",
        "note": "",
    }
    return data | overrides


def url(treatment):
    return f"/en/treatments/{treatment.pk}/injections/new/"


@pytest.fixture
def first_dose_logged(treatment):
    return log_dose(treatment, 1, date(2027, 1, 4))


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_form_suggests_now_the_next_dose_and_the_least_recently_used_site(
    patient_client, treatment, first_dose_logged
):
    page = patient_client.get(url(treatment)).content.decode()
    assert 'value="2027-02-03"' in page and 'value="10:00"' in page
    assert '<option value="2" selected>' in page
    # Dose 1 went into the left abdomen: the right side of the abdomen is suggested.
    checked = re.findall(r'<input[^>]*name="site"[^>]*value="(\w+)"[^>]*checked', page)
    assert checked == ["abdomen_right"]
    assert "never used · suggested" in page


def test_logging_a_dose_moves_the_next_date(patient_client, treatment, first_dose_logged):
    response = patient_client.post(url(treatment), form_data())
    assert response.status_code == 302
    injection = Injection.objects.get(treatment=treatment, dose_number=2)
    assert injection.taken_on == date(2027, 2, 3)
    assert injection.taken_at == datetime(2027, 2, 3, 7, 30, tzinfo=UTC)  # 08:30 in Paris
    assert injection.lot_number == "LOT-42"
    dashboard = patient_client.get("/en/dashboard/").content.decode()
    assert "Next injection (dose 3)" in dashboard
    assert "29 March 2027" in dashboard


def test_with_htmx_the_card_comes_back_updated_without_the_page(
    patient_client, treatment, first_dose_logged
):
    response = patient_client.post(url(treatment), form_data(), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="treatment-{treatment.pk}"' in html
    assert "Dose 2 logged: Wednesday 3 February 2027 at 08:30, Thigh, left." in html
    assert "Next injection (dose 3)" in html


def test_with_htmx_the_form_opens_inside_the_card(patient_client, treatment):
    html = patient_client.get(url(treatment), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html and 'name="taken_date"' in html
    assert f'data-hx-post="{url(treatment)}"' in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"taken_date": "2027-02-04"}, "taken_date", "in the future"),
        ({"taken_time": "10:05"}, "taken_date", "in the future"),
        ({"taken_date": "2027-01-03", "dose_number": "2"}, "taken_date", "before the treatment"),
        ({"dose_number": "1"}, "dose_number", "Select a valid choice"),
        ({"lot_number": "L" * 41}, "lot_number", "at most 40 characters"),
        ({"note": "x" * 1001}, "note", "at most 1000 characters"),
        ({"note": "bad\x00byte"}, "note", "Null characters are not allowed"),
        ({"site": "forehead"}, "site", "Select a valid choice"),
        ({"taken_date": "31/02/2027"}, "taken_date", "Enter a valid date"),
    ],
)
def test_bad_input_gets_a_message_and_keeps_what_was_typed(
    patient_client, treatment, first_dose_logged, overrides, field, message
):
    data = form_data(**overrides)
    response = patient_client.post(url(treatment), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    html = response.content.decode()
    assert 'value="LOT-42"' in html or overrides.get("lot_number")
    assert Injection.objects.filter(dose_number=2).count() == 0


def test_the_same_dose_cannot_be_logged_twice(patient_client, treatment, first_dose_logged):
    log_dose(treatment, 2, date(2027, 2, 1))
    # Dose 2 is no longer offered; forcing it gives a clear error and logs nothing.
    response = patient_client.post(url(treatment), form_data(dose_number="2"))
    assert "Select a valid choice" in response.context["form"].errors["dose_number"][0]
    assert Injection.objects.filter(dose_number=2).count() == 1


def test_a_time_skipped_by_the_spring_change_is_refused(patient):
    treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 3, 1))
    with time_machine.travel(datetime(2027, 3, 29, 12, tzinfo=UTC), tick=False):
        client = _client_for(patient)
        response = client.post(
            url(treatment),
            form_data(taken_date="2027-03-28", taken_time="02:30", dose_number="1"),
        )
    assert "clocks jumped forward" in response.context["form"].errors["taken_time"][0]
    assert not Injection.objects.exists()


def test_a_time_repeated_by_the_autumn_change_asks_which_one(patient):
    treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 10, 1))
    with time_machine.travel(datetime(2027, 11, 1, 12, tzinfo=UTC), tick=False):
        client = _client_for(patient)
        # A month after its planned day: confirmed, as the patient would after reading the date.
        data = form_data(
            taken_date="2027-10-31", taken_time="02:30", dose_number="1", confirm="yes"
        )
        response = client.post(url(treatment), data)
        assert response.status_code == 200, response
        assert "happened twice" in response.context["form"].errors["dst_fold"][0]
        assert 'name="dst_fold"' in response.content.decode()
        assert not Injection.objects.exists()
        client.post(url(treatment), data | {"dst_fold": "1"})
    # The second 02:30 is in winter time (UTC+1): 01:30 UTC.
    assert Injection.objects.get().taken_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_the_date_is_read_in_the_patients_home_zone(catalogue):
    from tests.factories import UserFactory

    tokyo = UserFactory(email="tokyo@example.com", time_zone="Asia/Tokyo")
    treatment = TreatmentFactory(patient=tokyo, first_dose_on=date(2027, 1, 4))
    client = _client_for(tokyo)
    # 18:00 in Tokyo on 3 February is 09:00 UTC: exactly "now", so it is accepted.
    client.post(url(treatment), form_data(dose_number="1", taken_time="18:00", confirm="yes"))
    injection = Injection.objects.get()
    assert injection.taken_at == NOW and injection.taken_on == date(2027, 2, 3)


def _client_for(user):
    from django.test import Client

    client = Client()
    sign_in(client, user)
    return client


def test_another_patients_treatment_answers_404(client, other_patient, treatment):
    client.force_login(other_patient)
    assert client.get(url(treatment)).status_code == 404
    assert client.post(url(treatment), form_data()).status_code == 404


def test_another_patients_entry_cannot_be_edited_or_deleted(
    client, other_patient, treatment, first_dose_logged
):
    client.force_login(other_patient)
    pk = first_dose_logged.pk
    assert client.get(f"/injections/{pk}/edit/").status_code == 404
    assert client.post(f"/injections/{pk}/delete/").status_code == 404
    assert client.post(f"/injections/{pk}/restore/").status_code == 404
    assert Injection.objects.live().filter(pk=pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, treatment):
    response = client.get(url(treatment))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_clinician_has_no_injection_form(client, clinician, treatment):
    sign_in(client, clinician)
    assert client.get(url(treatment)).status_code == 404


def test_an_entry_can_be_edited(patient_client, treatment, first_dose_logged):
    edit = f"/en/injections/{first_dose_logged.pk}/edit/"
    page = patient_client.get(edit).content.decode()
    assert 'value="2027-01-04"' in page and 'value="09:00"' in page
    response = patient_client.post(
        edit,
        form_data(taken_date="2027-01-05", taken_time="19:15", dose_number="1", site="arm_right"),
    )
    assert response.status_code == 302
    first_dose_logged.refresh_from_db()
    assert (first_dose_logged.taken_on, first_dose_logged.site) == (date(2027, 1, 5), "arm_right")


def test_a_deletion_can_be_undone(patient_client, treatment, first_dose_logged):
    pk = first_dose_logged.pk
    response = patient_client.post(f"/en/injections/{pk}/delete/")
    assert response.status_code == 302
    assert not Injection.objects.live().filter(pk=pk).exists()
    history = patient_client.get(response["Location"]).content.decode()
    assert "was deleted" in history and f"/injections/{pk}/restore/" in history
    patient_client.post(f"/en/injections/{pk}/restore/")
    assert Injection.objects.live().filter(pk=pk).exists()


def test_undo_is_refused_when_the_dose_was_logged_again(
    patient_client, treatment, first_dose_logged
):
    pk = first_dose_logged.pk
    patient_client.post(f"/en/injections/{pk}/delete/")
    log_dose(treatment, 1, date(2027, 1, 5))
    response = patient_client.post(f"/en/injections/{pk}/restore/", follow=True)
    assert "logged again" in response.content.decode()
    assert Injection.objects.live().filter(dose_number=1).count() == 1


def test_the_devices_used_follow_the_plan(patient):
    taltz = TreatmentFactory(patient=patient, drug_inn="ixekizumab", first_dose_on=date(2027, 1, 4))
    assert log_dose(taltz, 1, date(2027, 1, 4)).devices_used == 2
    assert log_dose(taltz, 2, date(2027, 1, 18), time(8)).devices_used == 1
