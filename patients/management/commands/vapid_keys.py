"""Write development VAPID keys to var/vapid.env once (`make run` sources the file)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from patients.reminders.channels.push import new_vapid_keys


class Command(BaseCommand):
    help = "Create development VAPID keys in var/vapid.env unless the file exists."

    def handle(self, *args, **options) -> None:
        path = Path(settings.VAR_DIR) / "vapid.env"
        if path.exists():
            self.stdout.write(f"VAPID keys: {path} (kept)")
            return
        public, private = new_vapid_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
        path.chmod(0o600)
        self.stdout.write(f"VAPID keys: created {path} (development only)")
