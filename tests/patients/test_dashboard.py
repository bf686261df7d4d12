from datetime import UTC, date, datetime, time, timedelta

import pytest

from patients.models import StockDelivery
from patients.treatments.writes import record_delivery
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db


def dashboard(client) -> str:
    response = client.get("/en/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.now(datetime(2027, 1, 20, 12, tzinfo=UTC))
def test_it_shows_the_next_dose_with_the_days_left(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    page = dashboard(patient_client)
    assert "Next injection (dose 2): <strong>1 February 2027</strong>, in 12 days." in page
    assert "100 mg, 1 device." in page


@pytest.mark.now(datetime(2027, 2, 5, 12, tzinfo=UTC))
def test_a_late_dose_is_flagged_with_the_missed_dose_rule(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    page = dashboard(patient_client)
    assert "Dose 2 was planned on 1 February 2027, 4 days ago." in page
    assert "Take the late dose as soon as possible" in page
    assert 'class="next-dose overdue"' in page


@pytest.mark.now(datetime(2027, 2, 5, 12, tzinfo=UTC))
def test_the_plan_covers_the_next_twelve_months(patient_client, treatment):
    page = dashboard(patient_client)
    # Dose 8 of guselkumab (3 January 2028) is within 12 months; dose 9 (28 February) is not.
    assert "3 January 2028" in page
    assert "28 February 2028" not in page


@pytest.mark.now(datetime(2027, 4, 10, 12, tzinfo=UTC))
def test_adherence_is_shown_with_its_definition(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 4))
    log_dose(treatment, 3, date(2027, 4, 5))
    page = dashboard(patient_client)
    assert "<strong>67 %</strong> · 2 of 3 doses on time" in page
    assert "within 3 days of the planned date" in page


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_the_stock_counts_devices_received_minus_devices_used(patient_client, treatment):
    page = dashboard(patient_client)
    assert "Record the devices you receive" in page
    record_delivery(treatment=treatment, received_on=date(2027, 1, 2), devices=3)
    log_dose(treatment, 1, date(2027, 1, 4))
    page = dashboard(patient_client)
    assert "2 devices left." in page and "Low stock" not in page
    log_dose(treatment, 2, date(2027, 2, 1))
    page = dashboard(patient_client)
    assert "1 device left." in page and "Low stock" in page


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_recording_a_delivery_refuses_a_future_date(patient_client, treatment):
    response = patient_client.post(
        f"/en/treatments/{treatment.pk}/stock/", {"received_on": "2027-02-04", "devices": "3"}
    )
    assert "in the future" in response.content.decode()
    assert not StockDelivery.objects.exists()


def test_a_patient_without_treatment_is_invited_to_start_one(patient_client):
    response = patient_client.get("/en/dashboard/")
    assert response.status_code == 302 and response["Location"] == "/en/treatments/new/"


def test_clinicians_have_no_patient_dashboard_and_are_sent_to_the_clinic(client, clinician):
    sign_in(client, clinician)
    response = client.get("/en/dashboard/")
    assert response.status_code == 302 and response["Location"] == "/en/clinic/"


def weekly_treatment_with_history(patient, history_length: int):
    treatment = TreatmentFactory(
        patient=patient, drug_inn="tocilizumab", first_dose_on=date(2020, 1, 6)
    )
    for number in range(1, history_length + 1):
        day = treatment.first_dose_on + timedelta(weeks=number - 1)
        log_dose(treatment, number, day, time(8))
    record_delivery(treatment=treatment, received_on=date(2020, 1, 1), devices=100)
    return treatment


# Dashboard: session, user, treatments (with the stock sum), the taken doses (a values query), the
# last injections in full, overrides, the next trip, open checklist items and the suggested
# articles (content.suggestions).
# History: session, user, treatment, count, one page. Form: as the dashboard.
# Each page also counts the unread notifications for the header (one query).
# Issue 22: the packs are prefetched (one query) instead of summed in the treatments' query.
# Issue 20: the dashboard's journal block adds the scores of the year and whether there is an
# entry (two queries; a third, the specialists not asked yet, once there is journal data).
# Issue 16: the safety articles that apply to the patient's medicines (one query for all).
# Issue 18 (D15): the injection form says when to get help after a reaction, from the drug's
# own cautions (one query).
@pytest.mark.parametrize("history_length", [5, 200])
@pytest.mark.parametrize(
    ("page", "queries"),
    [
        ("/en/dashboard/", 14),  # + the packs (stock per pack) and the safety articles
        ("/en/treatments/{pk}/history/", 6),
        ("/en/treatments/{pk}/injections/new/", 9),  # + the drug's cautions (D15)
    ],
)
def test_the_query_count_does_not_grow_with_history(
    client, patient, history_length, page, queries, django_assert_num_queries
):
    treatment = weekly_treatment_with_history(patient, history_length)
    client.force_login(patient)
    with django_assert_num_queries(queries):
        assert client.get(page.format(pk=treatment.pk)).status_code == 200


SAFETY_READING = '<a href="/en/articles/biosimilars/">'


@pytest.mark.now(datetime(2027, 2, 10, 12, tzinfo=UTC))
def test_the_dashboards_query_count_does_not_grow_with_the_number_of_treatments(
    client, patient, django_assert_num_queries
):
    """One medicine or three (three classes, and safety articles that differ between them):
    the same number of queries. The safety articles of every medicine come in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from content.loading import load_content

    load_content()
    client.force_login(patient)
    TreatmentFactory(patient=patient, drug_inn="guselkumab")
    with CaptureQueriesContext(connection) as one:
        page = client.get("/en/dashboard/").content.decode()
    assert 'href="/en/articles/infections-and-fever/"' in page
    assert SAFETY_READING not in page  # biosimilars are not about guselkumab

    TreatmentFactory(patient=patient, drug_inn="adalimumab")
    TreatmentFactory(patient=patient, drug_inn="tocilizumab")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/en/dashboard/").content.decode()
    assert page.count('href="/en/articles/infections-and-fever/"') == 1  # once for the three
    assert SAFETY_READING in page  # about adalimumab and tocilizumab


def test_another_patients_history_and_stock_answer_404(client, other_patient, treatment):
    client.force_login(other_patient)
    assert client.get(f"/treatments/{treatment.pk}/history/").status_code == 404
    assert client.get(f"/treatments/{treatment.pk}/stock/").status_code == 404


TRAVEL_TITLE = 'href="/articles/travelling-with-treatment/"'


@pytest.mark.now(datetime(2027, 2, 10, 12, tzinfo=UTC))
def test_a_planned_trip_shows_on_the_dashboard_and_suggests_the_travel_article(
    patient_client, patient, treatment
):
    from content.loading import load_content
    from patients.travel.trips import plan_trip

    load_content()
    page = patient_client.get("/dashboard/").content.decode()
    assert TRAVEL_TITLE not in page and "next-trip" not in page
    trip = plan_trip(
        patient=patient,
        now=datetime(2027, 2, 10, 12, tzinfo=UTC),
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=date(2027, 3, 20),
        returns_on=date(2027, 4, 2),
        traveller_name="Camille",
    )
    page = patient_client.get("/dashboard/").content.decode()
    assert TRAVEL_TITLE in page
    assert f'href="/trips/{trip.pk}/"' in page
