"""Print a one-time code with which USERNAME sets up their authenticator app.

Hand it over by a second channel (in person, by phone), never by e-mail.
Only its hash is stored; it expires (ENROLMENT_CODE_HOURS, 72 by default),
works once, and a new code replaces the old one. Directors can issue codes
for their colleagues on /accounts/enrolment-codes/ as well.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from socialplan.accounts.enrolment import issue_code


class Command(BaseCommand):
    help = "Issue a one-time code with which USERNAME sets up an authenticator app; print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        code = issue_code(user=user)
        self.stdout.write(code)
        self.stderr.write(
            f"Enrolment code for {username}: give it to them in person or by phone. "
            "It is shown only now, works once and replaces any earlier code."
        )
