"""Load the Durrës plan and create the demo staff accounts.

The accounts are for trying the system on a laptop: their passwords are
printed and well known, so never run this on a server with real data.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from socialplan.accounts.roles import ensure_role

DEMO_USERS = [
    # username, password, role, first name, last name (fictional people)
    ("drejtori", "demo-drejtori-2025", "director", "Arta", "Demo"),
    ("planifikimi", "demo-planifikimi-2025", "planner", "Besnik", "Demo"),
]


class Command(BaseCommand):
    help = "Load the Durrës territory and plan, and create demo staff accounts (idempotent)."

    def handle(self, **options):
        call_command("load_territory", settings.DATA_DIR / "territory" / "durres.yaml")
        call_command("load_plan", settings.DATA_DIR / "plans" / "durres-2025-2028.yaml")
        User = get_user_model()
        for username, password, role, first, last in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(password)
            user.is_staff = True
            user.save()
            user.groups.add(ensure_role(role))
        self.stdout.write("Demo logins (synthetic accounts, for trying the system only):")
        for username, password, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username} / {password}  ({role})")
