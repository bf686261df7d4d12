"""`manage.py purge_access_log`: what the daily beat task does, on demand."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from patients.privacy import retention


class Command(BaseCommand):
    help = (
        "Delete the access-log entries older than ACCESS_LOG_RETENTION_DAYS, in batches, "
        "and the expired sessions."
    )

    def handle(self, *args, **options) -> None:
        deleted = retention.purge_access_log(now=timezone.now())
        retention.clear_expired_sessions()
        days = settings.ACCESS_LOG_RETENTION_DAYS
        self.stdout.write(f"{deleted} access-log entries older than {days} days deleted.")
