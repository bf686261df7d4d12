"""Issue 17, item 2: no stored date makes a page slow or fail, and no form takes a date bomb.

Before: a trip in year 9999 made its trip and letter pages loop for 17-31 s and end in a 500;
a first dose in year 1 made the dashboard walk every weekly dose since (16 MB); a first dose
of 0001-01-01 or 9999-12-31 entered on the form gave a 500. The pages are measured in queries
and in doses walked (therapies.dosing counts them), not in wall time."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Treatment, Trip
from tests.factories import TreatmentFactory
from therapies import dosing

pytestmark = pytest.mark.django_db

FAR_PAST, FAR_FUTURE = date(1, 1, 1), date(9999, 12, 31)


@pytest.fixture
def walked(monkeypatch):
    """How many doses the plan generator yields during a request."""
    count = {"doses": 0}
    original = dosing.PlannedDose

    def counting(*args, **kwargs):
        count["doses"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(dosing, "PlannedDose", counting)
    return count


def fetch(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


@pytest.mark.parametrize("first_dose", [FAR_PAST, FAR_FUTURE, date(2, 3, 4), date(9999, 1, 1)])
def test_a_stored_first_dose_far_away_leaves_the_dashboard_fast(
    patient_client, patient, first_dose, walked
):
    # Secukinumab's weekly loading and its month steps; guselkumab's 8 weeks.
    for inn in ("guselkumab", "secukinumab"):
        TreatmentFactory(patient=patient, drug_inn=inn, first_dose_on=date(2027, 1, 4))
    Treatment.objects.filter(patient=patient).update(first_dose_on=first_dose)
    for url in ("/en/dashboard/",):
        response, queries = fetch(patient_client, url)
        assert response.status_code == 200
        assert queries < 60
    assert walked["doses"] < 5_000
    assert len(response.content) < 500_000


@pytest.mark.parametrize(
    "departs, returns",
    [
        (FAR_FUTURE, FAR_FUTURE),
        (FAR_PAST, FAR_PAST),
        (FAR_PAST, FAR_FUTURE),
        (date(9998, 1, 1), FAR_FUTURE),
    ],
)
def test_a_stored_trip_far_away_leaves_its_pages_fast(
    patient_client, patient, treatment, departs, returns, walked
):
    trip = Trip.objects.create(
        patient=patient,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=departs,
        returns_on=returns,
        traveller_name="Camille Martin",
    )
    for url in (
        f"/en/trips/{trip.pk}/",
        f"/en/trips/{trip.pk}/letters/certificate/",
        "/en/trips/",
        "/en/dashboard/",
    ):
        response, queries = fetch(patient_client, url)
        assert response.status_code in (200, 404), url
        assert queries < 60, url
    assert walked["doses"] < 5_000


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_a_first_dose_date_bomb_on_the_form_is_a_field_error(patient_client, catalogue, day):
    from therapies.models import Regimen

    regimen = Regimen.objects.filter(drug__inn="guselkumab", is_default=True).first()
    response = patient_client.post(
        "/en/treatments/new/",
        {
            "regimen": regimen.pk,
            "condition": regimen.indication,
            "presentation": "guselkumab:pen-100mg",
            "first_dose_on": day,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["first_dose_on"]
    assert not Treatment.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_trip_date_bombs_on_the_form_are_field_errors(patient_client, catalogue, day):
    response = patient_client.post(
        "/en/trips/new/",
        {
            "destination": "JP",
            "destination_time_zone": "Asia/Tokyo",
            "departs_on": day,
            "returns_on": day,
            "means": "plane",
            "spare_doses": 0,
            "traveller_name": "Camille Martin",
            "diagnosis": "",
        },
    )
    assert response.status_code == 200
    assert "departs_on" in response.context["form"].errors
    assert not Trip.objects.exists()
