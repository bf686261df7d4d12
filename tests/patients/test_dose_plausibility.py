"""Nothing implausible saved silently (issue 18, item 4): the rules of the domain
(patients/treatments/injections.py) and the confirmation step of the injection pages."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from patients import timeutils
from patients.models import Injection, InjectionSite
from patients.treatments.injections import (
    Doubt,
    doses_up_to,
    doubts_about_dose,
    first_dose_is_long_ago,
    record_injection,
)
from patients.treatments.writes import start_treatment
from tests.factories import TreatmentFactory, log_dose

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def at(treatment, day, hour=9, minute=0, fold=None):
    return timeutils.local_to_utc(day, time(hour, minute), treatment.patient.zone, fold=fold)


def kinds(treatment, number, taken_at, editing=None):
    found = doubts_about_dose(
        treatment=treatment, dose_number=number, taken_at=taken_at, editing=editing
    )
    return [d.kind for d in found]


# The `treatment` fixture: guselkumab from 4 January 2027, dose 2 on 1 February (4 weeks later),
# dose 3 on 29 March (8 weeks after dose 2).


def test_a_dose_on_its_planned_day_raises_no_doubt(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    assert kinds(treatment, 2, at(treatment, date(2027, 2, 1))) == []


def test_a_dose_dated_before_the_previous_logged_dose_is_doubtful(treatment):
    log_dose(treatment, 1, date(2027, 1, 20))
    found = doubts_about_dose(
        treatment=treatment, dose_number=2, taken_at=at(treatment, date(2027, 1, 19))
    )
    assert [d.kind for d in found] == [Doubt.BEFORE_PREVIOUS]
    assert found[0].previous.dose_number == 1


def test_half_an_interval_from_the_plan_is_fine_one_day_more_is_doubtful(treatment):
    # Dose 2 sits between dose 1 (4 Jan) and itself (1 Feb): 28 days, so 14 days either side.
    assert kinds(treatment, 2, at(treatment, date(2027, 2, 15))) == []
    assert kinds(treatment, 2, at(treatment, date(2027, 1, 18))) == []
    assert kinds(treatment, 2, at(treatment, date(2027, 2, 16))) == [Doubt.FAR_FROM_PLAN]
    late = doubts_about_dose(
        treatment=treatment, dose_number=2, taken_at=at(treatment, date(2027, 1, 17))
    )
    assert [(d.kind, d.days_from_plan, d.days_off) for d in late] == [
        (Doubt.FAR_FROM_PLAN, -15, 15)
    ]


def test_the_interval_is_the_regimens_own_eight_weeks_for_a_maintenance_dose(treatment):
    # Dose 3 (29 March) follows dose 2 by 8 weeks: 28 days either side are fine.
    assert kinds(treatment, 3, at(treatment, date(2027, 4, 26))) == []
    assert kinds(treatment, 3, at(treatment, date(2027, 4, 27))) == [Doubt.FAR_FROM_PLAN]


def test_the_day_is_counted_in_the_patients_zone_across_the_autumn_clock_change(patient):
    # Dose 2 planned on 14 November 2027; 14 days earlier is Sunday 31 October, the night the
    # clocks go back in Paris. 00:30 that night is still 30 October in UTC: counted in UTC it
    # would be 15 days early and doubtful; in the patient's zone it is 14 days and fine.
    treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 10, 17))
    just_in = at(treatment, date(2027, 10, 31), 0, 30)
    assert just_in.date() == date(2027, 10, 30)
    assert kinds(treatment, 2, just_in) == []
    assert kinds(treatment, 2, at(treatment, date(2027, 10, 30), 23, 30)) == [Doubt.FAR_FROM_PLAN]


def test_a_repeated_hour_is_judged_by_its_instant_not_by_the_clock_on_the_wall(patient):
    # Dose 1 at the first 02:30 of 31 October 2027 (00:30 UTC). A dose 2 at the second 02:10
    # (01:10 UTC) came after it, though the wall clock reads earlier; at the first 02:10 it did not.
    treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 10, 31))
    with time_machine.travel(datetime(2027, 11, 1, tzinfo=UTC), tick=False):
        record_injection(
            treatment=treatment,
            dose_number=1,
            taken_at=at(treatment, date(2027, 10, 31), 2, 30, fold=0),
            site=InjectionSite.THIGH_LEFT,
        )
    second = at(treatment, date(2027, 10, 31), 2, 10, fold=1)
    first = at(treatment, date(2027, 10, 31), 2, 10, fold=0)
    assert kinds(treatment, 2, second) == [Doubt.FAR_FROM_PLAN]
    assert kinds(treatment, 2, first) == [Doubt.BEFORE_PREVIOUS, Doubt.FAR_FROM_PLAN]


def test_an_entry_being_edited_is_not_its_own_previous_dose(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    dose_2 = log_dose(treatment, 2, date(2027, 2, 1))
    assert kinds(treatment, 2, at(treatment, date(2027, 1, 30)), editing=dose_2) == []


@pytest.mark.parametrize(
    ("first_dose_on", "long_ago"),
    [(date(2027, 1, 6), True), (date(2027, 1, 7), False), (date(2027, 2, 3), False)],
)
def test_a_first_dose_four_weeks_back_or_more_is_long_ago(first_dose_on, long_ago):
    assert first_dose_is_long_ago(first_dose_on=first_dose_on, today=date(2027, 2, 3)) is long_ago


def test_the_last_dose_is_the_planned_dose_nearest_its_day(treatment):
    spec = treatment.regimen.spec()
    numbers = [
        [d.number for d in doses_up_to(spec, date(2027, 1, 4), last_dose_on=day)]
        for day in (date(2027, 1, 4), date(2027, 1, 17), date(2027, 1, 19), date(2027, 3, 30))
    ]
    assert numbers == [[1], [1], [1, 2], [1, 2, 3]]


def test_a_patient_already_on_treatment_logs_the_earlier_doses_in_one_step(patient, catalogue):
    from therapies.models import Regimen

    regimen = Regimen.objects.get(drug__inn="guselkumab", is_default=True)
    with time_machine.travel(datetime(2027, 4, 2, 9, tzinfo=UTC), tick=False):
        treatment = start_treatment(
            patient=patient,
            drug=regimen.drug,
            regimen=regimen,
            first_dose_on=date(2027, 1, 4),
            last_dose_on=date(2027, 3, 30),
        )
    logged = list(Injection.objects.filter(treatment=treatment).order_by("dose_number"))
    assert [(i.dose_number, i.taken_on) for i in logged] == [
        (1, date(2027, 1, 4)),
        (2, date(2027, 2, 1)),
        (3, date(2027, 3, 30)),
    ]
    assert {i.site for i in logged} == {InjectionSite.NOT_RECORDED}
    assert {i.devices_used for i in logged} == {0}  # from boxes the app never counted


# The pages -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def form_data(**overrides):
    data = {
        "taken_date": "2027-01-19",
        "taken_time": "08:30",
        "dose_number": "2",
        "site": "thigh_left",
        "reaction": "none",
        "lot_number": "",
        "note": "",
    }
    return data | overrides


def log_url(treatment):
    return f"/en/treatments/{treatment.pk}/injections/new/"


def test_a_dose_before_the_previous_one_asks_to_confirm_with_the_date_in_words(
    patient_client, treatment
):
    log_dose(treatment, 1, date(2027, 1, 20))
    page = patient_client.post(log_url(treatment), form_data()).content.decode()
    assert "Check the date before saving" in page
    assert "You are saving dose 2 as taken on <strong>Tuesday 19 January 2027</strong>" in page
    assert "That is before dose 1, logged on Wednesday 20 January 2027." in page
    assert '<input type="hidden" name="taken_date" value="2027-01-19"' in page
    assert 'name="confirm" value="yes"' in page and 'name="revise"' in page
    assert not Injection.objects.filter(dose_number=2).exists()


def test_confirming_saves_the_typed_values_and_says_what_was_saved(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 20))
    response = patient_client.post(log_url(treatment), form_data(confirm="yes"), follow=True)
    assert Injection.objects.get(dose_number=2).taken_on == date(2027, 1, 19)
    assert "Dose 2 logged: Tuesday 19 January 2027 at 08:30, Thigh, left." in (
        response.content.decode()
    )


def test_changing_the_date_shows_the_filled_form_and_saves_nothing(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 20))
    page = patient_client.post(log_url(treatment), form_data(revise="1")).content.decode()
    assert 'value="2027-01-19"' in page and 'type="date"' in page
    assert "Check the date before saving" not in page
    assert not Injection.objects.filter(dose_number=2).exists()


def test_with_htmx_the_confirmation_comes_inside_the_card(patient_client, treatment):
    page = patient_client.post(
        log_url(treatment),
        form_data(dose_number="1", taken_date="2027-01-20"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert page.lstrip().startswith("<section")
    assert "Dose 1 was planned on Monday 4 January 2027: that is 16 days later." in page
    assert f'data-hx-post="{log_url(treatment)}"' in page
    assert not Injection.objects.exists()


def test_the_edit_page_says_edit_and_its_confirmation_says_updated(patient_client, treatment):
    dose_1 = log_dose(treatment, 1, date(2027, 1, 4))
    edit = f"/en/injections/{dose_1.pk}/edit/"
    page = patient_client.get(edit).content.decode()
    assert "<h1>Edit the entry for dose 1</h1>" in page and "Log an injection</h" not in page
    response = patient_client.post(
        edit, form_data(dose_number="1", taken_date="2027-01-05"), follow=True
    )
    assert "Dose 1 updated: Tuesday 5 January 2027 at 08:30, Thigh, left." in (
        response.content.decode()
    )


# Starting a treatment ---------------------------------------------------------------------------


def start_data(**overrides):
    from therapies.models import Regimen

    regimen = Regimen.objects.get(drug__inn="guselkumab", is_default=True)
    return {
        "regimen": regimen.pk,
        "condition": regimen.indication,
        "presentation": "guselkumab:pen-100mg",
        "first_dose_on": "2026-11-02",
        "prescriber_name": "",
    } | overrides


def test_a_first_injection_long_ago_asks_to_confirm_with_its_date_in_words(patient_client):
    from patients.models import Treatment

    page = patient_client.post("/en/treatments/new/", start_data()).content.decode()
    assert "Check the date of your first injection" in page
    assert "Your first injection was on <strong>Monday 2 November 2026</strong>" in page
    assert 'name="last_dose_on"' in page and 'name="confirm" value="yes"' in page
    assert not Treatment.objects.exists()


def test_a_recent_first_injection_is_started_at_once_and_the_message_says_what(patient_client):
    response = patient_client.post(
        "/en/treatments/new/", start_data(first_dose_on="2027-01-20"), follow=True
    )
    assert "Treatment with guselkumab started on Wednesday 20 January 2027." in (
        response.content.decode()
    )


def test_confirming_with_the_last_dose_logs_the_doses_taken_and_nothing_is_overdue(
    patient_client, patient
):
    # Guselkumab from 2 November 2026: doses on 2 Nov, 30 Nov, 25 Jan 2027 (today 3 Feb 2027).
    response = patient_client.post(
        "/en/treatments/new/",
        start_data(last_dose_on="2027-01-26", confirm="yes"),
        follow=True,
    )
    page = response.content.decode()
    assert "Treatment with guselkumab started on Monday 2 November 2026; 3 doses logged." in page
    taken = Injection.objects.filter(treatment__patient=patient).order_by("dose_number")
    assert [i.taken_on for i in taken] == [date(2026, 11, 2), date(2026, 11, 30), date(2027, 1, 26)]
    assert "was planned on" not in page  # no "dose 1 was due ... days ago"
    assert "Next injection (dose 4)" in page


def test_a_last_injection_before_the_first_or_in_the_future_is_explained(patient_client):
    early = patient_client.post("/en/treatments/new/", start_data(last_dose_on="2026-10-01"))
    assert "Your last injection cannot come before your first one" in early.content.decode()
    future = patient_client.post("/en/treatments/new/", start_data(last_dose_on="2027-02-04"))
    assert "This date is in the future: give the date of an injection" in future.content.decode()
