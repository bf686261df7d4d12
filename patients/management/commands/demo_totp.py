"""The code the demo clinician's authenticator app would show now (development only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.management.commands.seed_demo import CLINICIAN_EMAIL, DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-step code of clinician@demo.example (after seed_demo)."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for the demo accounts: not in production.")
        device = TOTPDevice.objects.filter(
            user__email=CLINICIAN_EMAIL, key=DEMO_TOTP_KEY, confirmed=True
        ).first()
        if device is None:
            raise CommandError("No demo clinician yet: run manage.py seed_demo first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        remaining = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for {remaining} more seconds)")
