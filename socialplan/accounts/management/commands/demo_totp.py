"""Print the current TOTP code of a demo account (see seed_demo).

Only the synthetic demo accounts, and only while their device still holds
the published demo secret: this command never reads a real person's device.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .seed_demo import DEMO_DEVICE_NAME, DEMO_TOTP_KEY, DEMO_USERS


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account created by seed_demo."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        if username not in {row[0] for row in DEMO_USERS}:
            raise CommandError(
                f"{username!r} is not a demo account; this command serves only those."
            )
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator: run `manage.py seed_demo`.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        left = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for about {left} more seconds, once)")
