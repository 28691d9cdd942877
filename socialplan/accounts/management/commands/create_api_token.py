"""Make a JSON API token for a user and print its secret, this once.

The database keeps only the secret's SHA-256: whoever loses the secret makes
a new token (and revokes the old one in the admin).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from socialplan.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Create a JSON API token for USERNAME, named NAME, and print its secret once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="What or who will use the token, e.g. 'NGO case system'.")

    def handle(self, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is not active.")
        token, secret = ApiToken.issue(user=user, name=name[:100])
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.prefix}… for {username}: send it as 'Authorization: Bearer <secret>'. "
            "The secret is shown only now; it is not stored."
        )
