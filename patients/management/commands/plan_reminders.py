"""Recompute every active treatment's next dose and next reminder (idempotent).

`make run` calls it after migrating, so treatments created before the reminders existed, or a
database restored from a backup, get their reminder times.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from patients.models import Treatment
from patients.treatments.reminders import plan_reminders


class Command(BaseCommand):
    help = "Recompute the next dose and the next reminder time of every active treatment."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        count = 0
        treatments = Treatment.objects.active().select_related("patient", "drug", "regimen")
        for treatment in treatments.iterator(chunk_size=500):
            with transaction.atomic():
                plan_reminders(treatment=treatment, now=now)
            count += 1
        self.stdout.write(f"Reminders planned for {count} active treatments.")
