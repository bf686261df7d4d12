"""After a late dose, the next one may come soon (issue 18, D6): the card says so calmly and,
only when the product's missed-dose rule comes from a document that was read, says what that rule
is (the next dose keeps its date) with its source; otherwise it says to ask the specialist."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import translation
from django.utils.html import escape

from patients.models import Injection
from tests.factories import TreatmentFactory, log_dose
from therapies import dosing
from therapies.models import Drug

pytestmark = pytest.mark.django_db

# Sunday 31 January 2027, 11:00 in Paris. The `treatment` fixture (guselkumab) planned dose 1 on
# 4 January and dose 2 on Monday 1 February: dose 1 taken today is 27 days late, and dose 2
# comes the next day.
NOW = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)
RULE = "The rule for your medicine after a late dose is to keep to the planned dates"
ASK_ONLY = (
    "We have no checked rule for your medicine on the dose after a late one: ask your "
    "specialist whether to keep this date."
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def form_data(**overrides):
    data = {
        "taken_date": "2027-01-31",
        "taken_time": "10:30",
        "dose_number": "1",
        "site": "thigh_left",
        "reaction": "none",
        "lot_number": "",
        "note": "",
        "confirm": "yes",  # 27 days from the plan: the date was confirmed in words
    }
    return data | overrides


def log_url(treatment):
    return f"/en/treatments/{treatment.pk}/injections/new/"


def test_a_late_dose_logged_the_day_before_the_next_says_the_rule_and_its_source(
    patient_client, treatment
):
    response = patient_client.post(log_url(treatment), form_data(), follow=True)
    page = response.content.decode()
    assert Injection.objects.get(dose_number=1).taken_on == date(2027, 1, 31)
    assert "Dose 1 logged: Sunday 31 January 2027 at 10:30" in page
    assert (
        "Dose 1 was taken late, so dose 2, planned on Monday 1 February 2027, comes only 1 day "
        "after it."
    ) in page
    assert f"{RULE}: dose 2 stays on 1 February 2027." in page
    # The source as the catalogue cites it (guselkumab.toml, [missed_dose]).
    drug = Drug.objects.get(inn="guselkumab")
    assert drug.missed_dose_source_kind == "manufacturer" and drug.missed_dose_verified
    with translation.override("en"):
        assert f"Source: {escape(drug.missed_dose_source)}" in page
    assert "If you are unsure, ask your specialist." in page
    assert ASK_ONLY not in page


def test_with_htmx_the_caution_comes_in_the_card_with_the_confirmation(patient_client, treatment):
    page = patient_client.post(
        log_url(treatment), form_data(), headers={"HX-Request": "true"}
    ).content.decode()
    assert page.lstrip().startswith("<section")
    assert "Dose 1 logged: Sunday 31 January 2027 at 10:30" in page
    assert "data-soon-after-late" in page and f"{RULE}: dose 2 stays on" in page


def test_a_product_without_a_checked_rule_only_says_to_ask_the_specialist(patient_client, patient):
    # Secukinumab: weekly loading doses; its [missed_dose] is the project's default, unverified.
    treatment = TreatmentFactory(
        patient=patient, drug_inn="secukinumab", first_dose_on=date(2027, 1, 25)
    )
    page = patient_client.post(log_url(treatment), form_data(), follow=True).content.decode()
    assert (
        "Dose 1 was taken late, so dose 2, planned on Monday 1 February 2027, comes only 1 day "
        "after it."
    ) in page
    assert ASK_ONLY in page
    assert RULE not in page and "stays on" not in page


def test_a_sourced_kind_not_marked_verified_only_says_to_ask_the_specialist(
    patient_client, treatment
):
    Drug.objects.filter(inn="guselkumab").update(missed_dose_verified=False)
    page = patient_client.post(log_url(treatment), form_data(), follow=True).content.decode()
    assert ASK_ONLY in page and RULE not in page


def test_a_dose_on_time_brings_no_caution(patient_client, patient):
    treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 1, 31))
    page = patient_client.post(log_url(treatment), form_data(), follow=True).content.decode()
    assert "Dose 1 logged" in page
    assert "data-soon-after-late" not in page


def test_the_caution_goes_once_the_next_dose_is_logged(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 31))
    assert "data-soon-after-late" in patient_client.get("/en/dashboard/").content.decode()
    log_dose(treatment, 2, date(2027, 1, 31), site="thigh_right")
    assert "data-soon-after-late" not in patient_client.get("/en/dashboard/").content.decode()


# --- The rule itself, pure (therapies/dosing.py) -----------------------------------------------

# Risankizumab's shape: weeks 0 and 4, then every 12 weeks.
SPEC = dosing.RegimenSpec(
    loading=(dosing.LoadingDose(0, 150, 1), dosing.LoadingDose(4, 150, 1)),
    every=12,
    unit=dosing.IntervalUnit.WEEKS,
    dose_mg=150,
    devices=1,
)
FIRST = date(2027, 1, 4)


def soon(taken: dict[int, date], today: date):
    doses = dosing.plan(SPEC, FIRST, count=10)
    status = dosing.dose_status(doses, taken, today)
    return dosing.next_dose_soon_after_late(doses, taken, status)


def test_a_loading_dose_a_day_late_is_not_close_to_the_next():
    # Dose 2 on 1 February: 27 days after a dose 1 taken on 5 January, of 28 planned.
    assert soon({1: FIRST + timedelta(days=1)}, FIRST + timedelta(days=1)) is None


def test_a_maintenance_dose_seven_weeks_late_is_close_to_the_next():
    # Dose 3 planned 26 April 2027, dose 4 on 19 July (12 weeks). Taken 14 June: 35 days
    # before dose 4, less than half of 84.
    found = soon({1: FIRST, 2: date(2027, 2, 1), 3: date(2027, 6, 14)}, date(2027, 6, 14))
    assert found is not None
    assert (found.late_dose, found.next_dose.number, found.days_between) == (3, 4, 35)
    # Taken 31 May instead: 49 days before dose 4, more than half of 84.
    assert soon({1: FIRST, 2: date(2027, 2, 1), 3: date(2027, 5, 31)}, date(2027, 5, 31)) is None


def test_an_overdue_next_dose_is_left_to_the_overdue_advice():
    # Dose 1 taken 30 January, dose 2 (1 February) now late: the card's overdue branch speaks.
    assert soon({1: date(2027, 1, 30)}, date(2027, 2, 3)) is None
