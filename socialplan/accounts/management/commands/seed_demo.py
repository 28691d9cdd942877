"""Load the Durrës plan and create the demo staff accounts.

The accounts are for trying the system on a laptop: their passwords are
printed and well known, so never run this on a server with real data.
"""

from base64 import b32decode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.accounts.access import requires_two_factor
from socialplan.accounts.models import Membership
from socialplan.accounts.roles import ROLES, ensure_role
from socialplan.cases.models import Case
from socialplan.directory.models import Organisation
from socialplan.national import tallies
from socialplan.registry.models import Person
from socialplan.territory.models import Municipality

DEMO_USERS = [
    # username, password, role, first name, last name (fictional people), scope:
    # an organisation code for a provider, a unit code for a unit administrator
    ("drejtori", "demo-drejtori-2025", "director", "Arta", "Demo", None),
    ("planifikimi", "demo-planifikimi-2025", "planner", "Besnik", "Demo", None),
    ("njvrn", "demo-njvrn-2025", "njvrn", "Blerta", "Demo", None),
    ("administratori", "demo-administratori-2025", "unit_admin", "Elira", "Demo", "sukth"),
    ("ofruesi", "demo-ofruesi-2025", "provider", "Drita", "Demo", "kryqi-i-kuq"),
]
# A small synthetic population so the register and cases have something to show.
DEMO_PEOPLE = 300
# The demo accounts' TOTP secret: as public as their passwords. Add it to any
# authenticator app, or print the current code with `manage.py demo_totp USERNAME`.
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"
DEMO_TOTP_KEY = b32decode(DEMO_TOTP_SECRET).hex()
DEMO_DEVICE_NAME = "demo authenticator"


def ensure_demo_device(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
    )
    return device


class Command(BaseCommand):
    help = "Load the Durrës territory and plan, and create demo staff accounts (idempotent)."

    def handle(self, **options):
        call_command("load_territory", settings.DATA_DIR / "territory" / "durres.yaml")
        call_command("load_plan", settings.DATA_DIR / "plans" / "durres-2025-2028.yaml")
        call_command("load_directory", settings.DATA_DIR / "directory" / "durres.yaml")
        call_command("load_needs", settings.DATA_DIR / "needs" / "durres.yaml")
        call_command("seed_emergency", "durres")
        call_command("load_monitoring", settings.DATA_DIR / "monitoring" / "durres.yaml")
        durres = Municipality.objects.get(code="durres")
        User = get_user_model()
        for username, password, role, first, last, scope in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(password)
            organisation = (
                Organisation.objects.filter(municipality=durres, code=scope).first()
                if role == "provider"
                else None
            )
            unit = durres.units.filter(code=scope).first() if role == "unit_admin" else None
            # Managers use the Django admin for the plan; providers work in the pages.
            user.is_staff = role in ROLES
            user.save()
            if role in ROLES:
                user.groups.add(ensure_role(role))
            Membership.objects.get_or_create(
                user=user, municipality=durres, role=role, organisation=organisation, unit=unit
            )
            ensure_demo_device(user)
        if not Person.objects.filter(municipality=durres, synthetic=True).exists():
            call_command("generate_population", "durres", "--people", str(DEMO_PEOPLE))
            # Hand the generated Sukth and NJVRN caseloads to the demo logins, so
            # "My cases" has something to show.
            for generated, login in (
                ("demo.admin.sukth", "administratori"),
                ("demo.njvrn", "njvrn"),
            ):
                Case.objects.filter(owner__username=generated).update(
                    owner=User.objects.get(username=login)
                )
        # The national roll-up reads maintained tallies: count the demo's register.
        tallies.refresh(durres)
        self.stdout.write("Demo logins (synthetic accounts, for trying the system only):")
        for username, password, role, *_ in DEMO_USERS:
            line = f"  {username} / {password}  ({role})"
            if requires_two_factor(User.objects.get(username=username)):
                line += f"  then a code: manage.py demo_totp {username}"
            self.stdout.write(line)
        self.stdout.write(
            f"Roles with access to personal data also enter a code: add the secret "
            f"{DEMO_TOTP_SECRET} to any authenticator app (TOTP), or run demo_totp."
        )
