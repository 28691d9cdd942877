"""Make a JSON API token for a user and print its secret, this once.

The database keeps only the secret's SHA-256: whoever loses the secret makes
a new token (and revokes the old one on the "API tokens" page or in the admin).

A user whose roles reach personal data makes their own tokens on the page
/accounts/tokens/, which asks for their two-factor code first. This command
cannot check a second factor, so it refuses such a user unless an operator
passes --operator-without-two-factor: for a service account or a test set-up
that the operator answers for. That issue is audited as such.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from socialplan.accounts.access import requires_two_factor
from socialplan.accounts.tokens import issue_token

OVERRIDE_SUMMARY = "issued with manage.py by an operator, without two-factor"


class Command(BaseCommand):
    help = (
        "Create a JSON API token for USERNAME, named NAME, and print its secret once. "
        "Staff whose roles reach personal data make theirs on /accounts/tokens/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="What or who will use the token, e.g. 'NGO case system'.")
        parser.add_argument(
            "--operator-without-two-factor",
            action="store_true",
            help=(
                "For operators only: issue a token to a user whose roles reach personal "
                "data although no two-factor code was entered. Audited."
            ),
        )

    def handle(self, username, name, operator_without_two_factor=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is not active.")
        summary = ""
        if requires_two_factor(user):
            if not operator_without_two_factor:
                raise CommandError(
                    f"{username}'s roles reach personal data: they make their own token on "
                    "/accounts/tokens/ after entering their two-factor code."
                )
            summary = OVERRIDE_SUMMARY
        token, secret = issue_token(user=user, name=name[:100], summary=summary)
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.prefix}… for {username}, valid until {token.expires_at:%Y-%m-%d}: "
            "send it as 'Authorization: Bearer <secret>'. "
            "The secret is shown only now; it is not stored."
        )
