"""Receivers for Django's authentication signals (connected in apps.py)."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django_otp import devices_for_user

from .access import requires_two_factor
from .audit import client_ip
from .models import AuditEvent
from .session_lifetime import LOGGED_IN_AT
from .tokens import REASON_DEACTIVATED, REASON_DEVICE, REASON_PASSWORD, revoke_all_tokens

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


# Successful log-ins and log-outs.
#
# Only a person's log-in through a form (a POST to the log-in page or the
# admin's) is audited; Django's test client force_login() and other
# programmatic log-ins carry no such request.


def _through_a_form(request) -> bool:
    return request is not None and request.method == "POST"


def record_login(sender, request, user, **kwargs):
    """The password step; the code step is audited in views (action "login_2fa")."""
    if request is not None and hasattr(request, "session"):
        # The start of the session's working day (session_lifetime.py).
        request.session[LOGGED_IN_AT] = int(time.time())
    if _through_a_form(request):
        AuditEvent.objects.create(user=user, action=AuditEvent.Action.LOGIN, ip=client_ip(request))


def record_logout(sender, request, user, **kwargs):
    if user is not None and _through_a_form(request):
        AuditEvent.objects.create(user=user, action=AuditEvent.Action.LOGOUT, ip=client_ip(request))


# API tokens end with the trust they were issued under.


def remember_account_before_save(sender, instance, **kwargs):
    """Keep what the row held before this save, for revoke_tokens_after_account_change."""
    if instance.pk is None:
        instance._saved_before = None
        return
    instance._saved_before = (
        sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    )


def _is_rehash(before_hash: str, user) -> bool:
    """True when Django only re-hashed the same password with a newer hasher.

    check_password() does that at log-in after an upgrade (more iterations, a
    new algorithm); it clears user._password before saving, whereas
    set_password() leaves it set until after the save.
    """
    if getattr(user, "_password", None) is not None:
        return False
    try:
        hasher = identify_hasher(before_hash)
    except ValueError:
        return False
    return hasher.algorithm != get_hasher().algorithm or hasher.must_update(before_hash)


def revoke_tokens_after_account_change(sender, instance, created, **kwargs):
    before = getattr(instance, "_saved_before", None)
    instance._saved_before = None
    if created or before is None:
        return
    if before["is_active"] and not instance.is_active:
        revoke_all_tokens(instance, reason=REASON_DEACTIVATED)
    elif before["password"] != instance.password and not _is_rehash(before["password"], instance):
        revoke_all_tokens(instance, reason=REASON_PASSWORD)


def revoke_tokens_after_last_device(sender, instance, **kwargs):
    """The last confirmed authenticator of a user who needs one is gone: so are the tokens.

    A token issued to a session that passed two-factor must not outlive the
    second factor it was issued under.
    """
    if not instance.confirmed:
        return
    user = get_user_model()._default_manager.filter(pk=instance.user_id).first()
    if user is None or any(True for _ in devices_for_user(user, confirmed=True)):
        return
    if requires_two_factor(user):
        revoke_all_tokens(user, reason=REASON_DEVICE)
