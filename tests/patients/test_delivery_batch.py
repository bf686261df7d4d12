"""The delivery batch (patients/reminders/delivery.py): what a worker pays per batch, and the
outcome's commit that does not wait for the disk without changing any other statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from patients import timeutils
from patients.models import Channel, Reminder, ReminderSettings, State
from patients.reminders.delivery import deliver_reminders, dispatch_reminders
from patients.reminders.scan import queue_due_reminders
from tests.factories import TreatmentFactory, UserFactory

DRUGS = ["guselkumab", "secukinumab"]


def due_email_reminders(count: int) -> list[int]:
    """`count` patients, on two drugs, each with the e-mail of her dose today, claimed."""
    for number in range(count):
        patient = UserFactory(email=f"p{number}@example.com")
        ReminderSettings.objects.create(
            patient=patient,
            lead_days=[0],
            hour=0,
            by_email=True,
            in_app=False,
            calendar_discreet=False,  # the e-mails name the medicine
        )
        today = timeutils.local_today(patient.zone)
        TreatmentFactory(patient=patient, drug_inn=DRUGS[number % 2], first_dose_on=today)
    now = timezone.now()
    queue_due_reminders(now=now)
    dispatch_reminders(now=now)
    return list(
        Reminder.objects.filter(channel=Channel.EMAIL, state=State.SENDING).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.parametrize("count", [2, 8])
def test_a_batch_costs_the_same_queries_however_many_reminders_it_holds(
    catalogue, mailoutbox, count, django_assert_num_queries
):
    ids = due_email_reminders(count)
    assert len(ids) == count
    # The hold, the batch with its patients, settings and treatments (one join), the devices,
    # the drugs and the regimens (each fetched once, shared by the reminders), one outcome per
    # reminder, and letting go of the hold.
    with django_assert_num_queries(6 + count):
        outcomes = deliver_reminders(reminder_ids=ids, now=timezone.now())
    assert outcomes == [State.SENT] * count
    assert len(mailoutbox) == count
    # Each e-mail names its own patient's medicine: the shared rows reached the right reminders.
    brand = {"guselkumab": "Tremfya", "secukinumab": "Cosentyx"}
    for message in mailoutbox:
        number = int(message.to[0].removeprefix("p").split("@")[0])
        assert brand[DRUGS[number % 2]] in message.body
        assert brand[DRUGS[1 - number % 2]] not in message.body


@pytest.mark.django_db(transaction=True)
def test_the_outcome_skips_waiting_for_the_disk_for_its_own_statement_only(catalogue):
    (reminder_id,) = due_email_reminders(1)
    deliver_reminders(reminder_ids=[reminder_id], now=timezone.now())
    assert Reminder.objects.get(pk=reminder_id).state == State.SENT
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        # SET LOCAL ended with the outcome's own transaction: the worker's other writes (the
        # claims, the scan) still wait for the disk.
        assert cursor.fetchone() == ("on",)
