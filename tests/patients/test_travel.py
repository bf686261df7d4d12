"""The trip planner: doses during a trip, devices to carry, stock, the fridge allowance, the
packing list, the trip form, and the trip reminders across daylight-saving changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from patients.models import Channel, Kind, Letter, Reminder, ReminderSettings, State, Trip
from patients.reminders.delivery import deliver_reminder, dispatch_reminders
from patients.timeutils import zones_of
from patients.travel.letters import approve_letter
from patients.travel.plan import trip_plan
from patients.travel.trips import plan_trip, plan_trip_reminder, queue_trip_reminders, update_trip
from patients.treatments.writes import record_delivery
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

# The `treatment` fixture: guselkumab from Monday 4 January 2027, doses on 4 Jan, 1 Feb,
# 29 Mar, 24 May 2027 (weeks 0 and 4, then every 8 weeks).
BEFORE = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english():
    """The plan's texts (packing list) read in English here; pages pick their own language."""
    with translation.override("en"):
        yield


def a_trip(patient, departs: date, returns: date, **fields) -> Trip:
    values = {
        "destination": "JP",
        "destination_time_zone": "Asia/Tokyo",
        "traveller_name": "Camille Martin",
        "means": "plane",
    } | fields
    return plan_trip(patient=patient, now=BEFORE, departs_on=departs, returns_on=returns, **values)


# --- The plan ------------------------------------------------------------------------------------


def test_the_time_zones_offered_are_those_of_the_country():
    assert zones_of("FR") == ("Europe/Paris",)
    assert "America/New_York" in zones_of("US") and "America/Los_Angeles" in zones_of("US")
    assert "Europe/Paris" not in zones_of("US")
    assert zones_of("??") == ()


def test_a_dose_during_the_trip_is_shown_in_home_and_destination_time_across_dst(
    patient, treatment
):
    """09:00 in Paris is 17:00 in Tokyo in winter (UTC+1) and 16:00 after 28 March (UTC+2)."""
    trip = a_trip(patient, date(2027, 1, 25), date(2027, 4, 2))
    [medicine] = trip_plan(trip).medicines
    winter, summer = medicine.doses
    assert (winter.dose.number, winter.dose.date) == (2, date(2027, 2, 1))
    assert (winter.at_home.hour, winter.away.hour, winter.away.date()) == (9, 17, date(2027, 2, 1))
    assert (summer.dose.number, summer.dose.date) == (3, date(2027, 3, 29))
    assert (summer.at_home.hour, summer.away.hour) == (9, 16)
    assert str(summer.away.tzinfo) == "Asia/Tokyo"


def test_a_dose_can_fall_on_the_previous_day_at_a_western_destination(patient, treatment):
    ReminderSettings.objects.create(patient=patient, hour=4)
    trip = a_trip(
        patient,
        date(2027, 3, 25),
        date(2027, 4, 5),
        destination="US",
        destination_time_zone="America/Los_Angeles",
    )
    [dose] = trip_plan(trip).medicines[0].doses
    assert dose.at_home.date() == date(2027, 3, 29)
    assert (dose.away.date(), dose.away.hour) == (date(2027, 3, 28), 19)


def test_departure_and_return_days_count_and_logged_doses_do_not(patient, treatment):
    trip = a_trip(patient, date(2027, 3, 29), date(2027, 5, 24), spare_doses=1)
    [medicine] = trip_plan(trip).medicines
    assert [d.dose.number for d in medicine.doses] == [3, 4]
    assert (medicine.devices_for_doses, medicine.spare_devices) == (2, 1)
    assert medicine.devices_to_carry == 3

    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    log_dose(treatment, 3, date(2027, 3, 29))
    [medicine] = trip_plan(trip).medicines
    assert [d.dose.number for d in medicine.doses] == [4]
    assert medicine.devices_to_carry == 2


def test_the_devices_follow_each_dose_of_the_regimen(patient):
    """Taltz week 0 is two pens, then one (reference therapies.md)."""
    TreatmentFactory(patient=patient, drug_inn="ixekizumab", first_dose_on=date(2027, 3, 1))
    trip = a_trip(patient, date(2027, 3, 1), date(2027, 3, 29), spare_doses=0)  # weeks 0, 2, 4
    [medicine] = trip_plan(trip).medicines
    assert [(d.dose.number, d.dose.devices) for d in medicine.doses] == [(1, 2), (2, 1), (3, 1)]
    assert medicine.devices_to_carry == 4


def test_no_dose_during_the_trip_still_carries_the_chosen_spare(patient, treatment):
    trip = a_trip(patient, date(2027, 4, 5), date(2027, 4, 12), spare_doses=2)
    [medicine] = trip_plan(trip).medicines
    assert medicine.doses == [] and medicine.devices_to_carry == 2


def test_the_stock_check_counts_every_dose_until_the_return(patient, treatment):
    trip = a_trip(patient, date(2027, 3, 20), date(2027, 4, 2))
    [medicine] = trip_plan(trip).medicines
    assert medicine.devices_left is None and medicine.stock_covers is None

    record_delivery(treatment=treatment, received_on=date(2026, 12, 20), devices=3)
    plan = trip_plan(trip)
    # Doses 1, 2 and 3 before the return, plus one spare: 4 needed, 3 left.
    assert plan.medicines[0].devices_needed_by_return == 4
    assert plan.medicines[0].stock_covers is False and plan.renew_before_leaving
    assert any("Renew your prescription before you leave" in item for item in plan.packing)

    record_delivery(treatment=treatment, received_on=date(2026, 12, 21), devices=1)
    plan = trip_plan(trip)
    assert plan.medicines[0].stock_covers is True and not plan.renew_before_leaving


def test_the_fridge_allowance_is_compared_only_when_verified(patient):
    TreatmentFactory(patient=patient, drug_inn="secukinumab", first_dose_on=date(2027, 1, 4))
    TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4))
    trip = a_trip(patient, date(2027, 2, 1), date(2027, 2, 3))
    plan = trip_plan(trip)
    allowance = {m.treatment.drug.inn: m.days_allowed_out for m in plan.medicines}
    assert allowance == {"secukinumab": 4, "guselkumab": None}  # Tremfya: [verify]
    assert plan.days_away == 3
    outlasts = {m.treatment.drug.inn: m.outlasts_allowance for m in plan.medicines}
    assert outlasts == {"secukinumab": False, "guselkumab": None}
    longer = trip_plan(a_trip(patient, date(2027, 2, 1), date(2027, 2, 5)))  # 5 days > 4
    assert {m.treatment.drug.inn: m.outlasts_allowance for m in longer.medicines} == {
        "secukinumab": True,
        "guselkumab": None,
    }


def test_the_packing_list_asks_for_the_cabin_only_by_plane(patient, treatment):
    by_air = trip_plan(a_trip(patient, date(2027, 2, 1), date(2027, 2, 3)))
    by_train = trip_plan(a_trip(patient, date(2027, 2, 1), date(2027, 2, 3), means="train"))
    assert any("cabin" in item for item in by_air.packing)
    assert not any("cabin" in item for item in by_train.packing)
    for plan in (by_air, by_train):
        text = " ".join(plan.packing)
        for needed in ("insulated bag", "must not touch", "original box", "sharps container"):
            assert needed in text
        assert "Two copies of each letter" in text and "Live vaccines" in text


# --- The pages -----------------------------------------------------------------------------------


def trip_data(**changes) -> dict:
    return {
        "destination": "JP",
        "destination_time_zone": "Asia/Tokyo",
        "departs_on": "2027-03-20",
        "returns_on": "2027-04-02",
        "means": "plane",
        "spare_doses": "1",
        "traveller_name": "Camille Martin",
        "date_of_birth": "1985-06-14",
        "passport_number": "",
        "diagnosis": "",
    } | changes


@pytest.mark.now(BEFORE)
def test_a_patient_plans_a_trip_and_sees_its_doses_and_devices(patient_client, treatment):
    response = patient_client.post("/trips/new/", trip_data())  # French: no prefix
    trip = Trip.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/trips/{trip.pk}/"
    page = patient_client.get(response["Location"]).content.decode()
    assert "Japon" in page and "Tokyo (Asie)" in page  # French by default, the zone by its name
    assert "lundi 29 mars 2027, 09:00" in page and "lundi 29 mars 2027, 16:00" in page
    assert "<strong>2</strong>" in page  # one dose + one spare


@pytest.mark.now(BEFORE)
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"returns_on": "2027-03-10"}, "returns_on", "The return cannot be before"),
        ({"departs_on": "2026-11-01"}, "departs_on", "The departure cannot be in the past"),
        (
            {"destination": "US", "destination_time_zone": "Asia/Tokyo"},
            "destination_time_zone",
            "time zones of",
        ),
        ({"destination": "US", "destination_time_zone": ""}, "destination_time_zone", "Choose"),
        ({"destination": "XX"}, "destination", ""),
        ({"departs_on": "not a date"}, "departs_on", ""),
        ({"returns_on": "2029-01-01"}, "returns_on", "up to a year"),
        ({"spare_doses": "9"}, "spare_doses", ""),
        ({"date_of_birth": "2030-01-01"}, "date_of_birth", "real date of birth"),
    ],
)
def test_bad_trip_input_gets_a_message_and_keeps_what_was_typed(
    client, patient, settings, changes, field, message
):
    client.force_login(patient)
    response = client.post("/en/trips/new/", trip_data(traveller_name="Kept Name", **changes))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert 'value="Kept Name"' in response.content.decode()
    assert not Trip.objects.exists()


@pytest.mark.now(BEFORE)
@pytest.mark.parametrize("zone", ["", "Asia/Tokyo"])
def test_a_country_with_one_time_zone_needs_no_choice(patient_client, zone):
    """Empty, or left from the country chosen before (without JavaScript): it is that zone."""
    response = patient_client.post(
        reverse("patients:new_trip"),
        trip_data(destination="FR", destination_time_zone=zone),
    )
    assert response.status_code == 302
    assert Trip.objects.get().destination_time_zone == "Europe/Paris"


@pytest.mark.now(BEFORE)
def test_choosing_a_country_lists_its_zones_with_htmx_and_without(patient_client):
    """htmx POSTs the country (a trip's destination stays out of URLs and logs) and saves
    nothing; without JavaScript, saving brings the form back with the country's zones."""
    url = reverse("patients:new_trip")
    fragment = patient_client.post(
        url, {"destination": "US", "zone_only": "1"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and 'id="zone-field"' in fragment
    assert "America/New_York" in fragment and "Asia/Tokyo" not in fragment
    assert not Trip.objects.exists()
    page = patient_client.post(url, trip_data(destination="US", destination_time_zone=""))
    assert page.status_code == 200 and not Trip.objects.exists()
    assert "<html" in page.content.decode() and "America/New_York" in page.content.decode()


@pytest.mark.now(BEFORE)
def test_changing_the_dates_revokes_the_approved_letters(patient, clinician, care_link, treatment):
    trip = a_trip(
        patient,
        date(2027, 3, 20),
        date(2027, 4, 2),
        destination="US",
        destination_time_zone="America/New_York",
    )
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=BEFORE)
    trip.destination_time_zone = "America/Chicago"
    update_trip(trip=trip, changed=["destination_time_zone"], by=patient, now=BEFORE)
    letter.refresh_from_db()
    assert letter.revoked_at is None  # the zone is not printed on the letters

    trip.returns_on = date(2027, 4, 9)
    update_trip(trip=trip, changed=["returns_on"], by=patient, now=BEFORE)
    letter.refresh_from_db()
    assert letter.revoked_at == BEFORE and letter.revoked_by == patient
    assert not Letter.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.now(BEFORE)
def test_changing_the_means_of_travel_revokes_the_certificate(
    patient, clinician, care_link, treatment
):
    """The certificate asks for the cabin only for a flight: by train it says something else."""
    trip = a_trip(patient, date(2027, 3, 20), date(2027, 4, 2))
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=BEFORE)
    trip.means = "train"
    update_trip(trip=trip, changed=["means"], by=patient, now=BEFORE)
    letter.refresh_from_db()
    assert letter.revoked_at == BEFORE


@pytest.mark.now(BEFORE)
def test_the_trip_form_revokes_approved_letters_when_the_dates_change(
    patient_client, patient, clinician, care_link, treatment
):
    trip = a_trip(patient, date(2027, 3, 20), date(2027, 4, 2), date_of_birth=date(1985, 6, 14))
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=BEFORE)
    url = reverse("patients:edit_trip", args=[trip.pk])
    assert patient_client.post(url, trip_data(traveller_name="Camille Martin")).status_code == 302
    letter.refresh_from_db()
    assert letter.revoked_at is None  # the same values: nothing changed
    assert patient_client.post(url, trip_data(returns_on="2027-04-05")).status_code == 302
    letter.refresh_from_db()
    assert letter.revoked_by == patient


@pytest.mark.now(BEFORE)
def test_deleting_a_trip_deletes_its_letters_and_their_verification_page(
    client, patient, clinician, care_link, treatment
):
    trip = a_trip(patient, date(2027, 3, 20), date(2027, 4, 2))
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=BEFORE)
    verify = reverse("verify_letter", args=[letter.token])
    assert client.get(verify).status_code == 200
    client.force_login(patient)
    response = client.post(reverse("patients:delete_trip", args=[trip.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("patients:trips")
    assert not Trip.objects.exists() and not Letter.objects.exists()
    assert client.get(verify).status_code == 404


@pytest.mark.now(BEFORE)
def test_the_clinician_sees_the_trips_and_letters_of_a_linked_patient(
    client, patient, clinician, care_link, treatment
):
    trip = a_trip(patient, date(2027, 3, 20), date(2027, 4, 2))
    approve_letter(trip=trip, kind="certificate", clinician=clinician, now=BEFORE)
    sign_in(client, clinician)
    page = client.get(reverse("patients:clinic_patient", args=[patient.pk])).content.decode()
    assert reverse("patients:clinic_letter", args=[trip.pk, "certificate"]) in page
    assert reverse("patients:clinic_letter", args=[trip.pk, "prescription"]) in page
    assert "Dr House" in page


@pytest.mark.now(BEFORE)
def test_the_trip_page_takes_the_same_queries_for_one_or_three_treatments(
    patient_client, patient, django_assert_num_queries
):
    TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4))
    trip = a_trip(patient, date(2027, 3, 20), date(2027, 4, 2))
    url = reverse("patients:trip", args=[trip.pk])
    patient_client.get(url)
    with CaptureQueriesContext(connection) as one:
        patient_client.get(url)
    for inn in ("secukinumab", "ixekizumab"):
        treatment = TreatmentFactory(patient=patient, drug_inn=inn, first_dose_on=date(2027, 1, 4))
        record_delivery(treatment=treatment, received_on=date(2027, 1, 1), devices=4)
    with django_assert_num_queries(len(one.captured_queries)):
        response = patient_client.get(url)
    assert response.content.decode().count('<h2 id="medicine-') == 3


# --- Reminders -----------------------------------------------------------------------------------


def test_trip_reminders_come_7_days_and_1_day_before_at_the_patient_hour_across_dst(patient):
    """Departure Tuesday 30 March 2027: 23 March 09:00 is 08:00 UTC (winter time),
    29 March 09:00 is 07:00 UTC (summer time since the 28th)."""
    trip = a_trip(patient, date(2027, 3, 30), date(2027, 4, 6))
    assert trip.next_reminder_at == datetime(2027, 3, 23, 8, tzinfo=UTC)

    assert queue_trip_reminders(now=datetime(2027, 3, 23, 7, 59, tzinfo=UTC)) == 0
    assert queue_trip_reminders(now=datetime(2027, 3, 23, 8, tzinfo=UTC)) == 1
    trip.refresh_from_db()
    assert trip.next_reminder_at == datetime(2027, 3, 29, 7, tzinfo=UTC)
    assert queue_trip_reminders(now=datetime(2027, 3, 23, 8, 1, tzinfo=UTC)) == 0  # once
    assert queue_trip_reminders(now=datetime(2027, 3, 29, 7, tzinfo=UTC)) == 1
    trip.refresh_from_db()
    assert trip.next_reminder_at is None

    rows = Reminder.objects.filter(trip=trip, kind=Kind.TRIP_SOON)
    assert sorted(rows.values_list("occurrence", "channel")) == [
        ("2027-03-30:lead-1", Channel.EMAIL),
        ("2027-03-30:lead-1", Channel.IN_APP),
        ("2027-03-30:lead-7", Channel.EMAIL),
        ("2027-03-30:lead-7", Channel.IN_APP),
    ]


def test_a_trip_planned_late_skips_the_reminders_already_past(patient):
    now = datetime(2027, 3, 27, 12, tzinfo=UTC)
    trip = plan_trip(
        patient=patient,
        now=now,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=date(2027, 3, 30),
        returns_on=date(2027, 4, 6),
        traveller_name="Camille",
    )
    assert trip.next_reminder_at == datetime(2027, 3, 29, 7, tzinfo=UTC)


def test_paused_reminders_plan_no_trip_reminder(patient):
    ReminderSettings.objects.create(patient=patient, paused=True)
    assert a_trip(patient, date(2027, 3, 30), date(2027, 4, 6)).next_reminder_at is None


def test_the_trip_email_is_sent_once_and_not_after_the_trip_moved(patient):
    trip = a_trip(patient, date(2027, 3, 30), date(2027, 4, 6))
    at = datetime(2027, 3, 23, 8, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        queue_trip_reminders(now=at)
        dispatch_reminders(now=at)  # claims; the worker sends (run inline here)
        email = Reminder.objects.get(trip=trip, channel=Channel.EMAIL)
        assert deliver_reminder(reminder_id=email.pk, now=at) == "sent"
        assert deliver_reminder(reminder_id=email.pk, now=at) != "sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Votre voyage commence dans 7 jours")
    assert "Japon" not in mail.outbox[0].body and "Tokyo" not in mail.outbox[0].body

    # Moved a week later before the day-before reminder: the old one no longer stands.
    moved_at = datetime(2027, 3, 29, 7, tzinfo=UTC)
    with time_machine.travel(moved_at, tick=False):
        queue_trip_reminders(now=moved_at)
        trip.departs_on, trip.returns_on = date(2027, 4, 6), date(2027, 4, 13)
        update_trip(trip=trip, changed=["departs_on", "returns_on"], by=patient, now=moved_at)
        dispatch_reminders(now=moved_at)
        stale = Reminder.objects.get(
            trip=trip, channel=Channel.EMAIL, occurrence__endswith="lead-1"
        )
        deliver_reminder(reminder_id=stale.pk, now=moved_at)
    stale.refresh_from_db()
    assert stale.state == State.CANCELLED and len(mail.outbox) == 1
    trip.refresh_from_db()
    assert trip.next_reminder_at == datetime(2027, 3, 30, 7, tzinfo=UTC)  # 7 days before 6 April


def test_changing_the_reminder_hour_moves_the_trip_reminder(patient, patient_client):
    trip = a_trip(patient, date(2030, 3, 30), date(2030, 4, 6))
    settings_row = ReminderSettings.objects.create(patient=patient, hour=18)
    from django.utils import timezone

    from patients.reminders.registry import plan_patient_reminders

    plan_patient_reminders(patient=patient, now=timezone.now())
    trip.refresh_from_db()
    assert trip.next_reminder_at == datetime(2030, 3, 23, 17, tzinfo=UTC)
    assert settings_row.hour == 18
    plan_trip_reminder(trip=trip, now=timezone.now())
    assert trip.next_reminder_at == datetime(2030, 3, 23, 17, tzinfo=UTC)


def test_the_link_in_a_trip_reminder_opens_the_trip(patient, patient_client):
    trip = a_trip(patient, date(2027, 3, 30), date(2027, 4, 6))
    queue_trip_reminders(now=datetime(2027, 3, 23, 8, tzinfo=UTC))
    from patients.reminders.links import open_link

    reminder = Reminder.objects.get(trip=trip, channel=Channel.EMAIL)
    path = open_link(reminder).split("://", 1)[1].split("/", 1)[1]
    response = patient_client.get("/" + path)
    assert response.status_code == 302 and response["Location"] == reverse(
        "patients:trip", args=[trip.pk]
    )


def test_a_trip_days_away_counts_both_ends(patient):
    trip = a_trip(patient, date(2027, 3, 30), date(2027, 3, 30) + timedelta(days=2))
    assert trip_plan(trip).days_away == 3
