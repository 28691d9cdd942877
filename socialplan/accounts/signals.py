"""Receivers for Django's authentication signals (connected in apps.py)."""

from django.contrib.auth import get_user_model

from .audit import client_ip
from .models import AuditEvent

UNKNOWN_USERNAME = "unknown username"


def record_failed_login(sender, credentials, request=None, **kwargs):
    """One audit row per refused password login, locked-out attempts included.

    The row names the account when the typed username is one; otherwise it
    says only "unknown username": what was typed may be a password. Django
    has already masked the password in `credentials`; it is never read here.
    """
    User = get_user_model()
    typed = credentials.get(User.USERNAME_FIELD)
    user = (
        User._default_manager.filter(**{User.USERNAME_FIELD: typed}).first()
        if isinstance(typed, str) and typed
        else None
    )
    AuditEvent.objects.create(
        user=user,
        action=AuditEvent.Action.LOGIN_FAILED,
        summary="" if user is not None else UNKNOWN_USERNAME,
        ip=client_ip(request),
    )
