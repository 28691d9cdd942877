"""What import_people and export_people both look up from their arguments."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from socialplan.territory.models import Municipality


def municipality_and_user(code: str, username: str):
    municipality = Municipality.objects.filter(code=code).first()
    if municipality is None:
        raise CommandError(f"No municipality with the code {code!r}.")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return municipality, user
