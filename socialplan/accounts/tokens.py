"""Issuing and revoking API tokens, each one audited.

The model (models.ApiToken) makes and checks secrets; these functions are
the only places a token is handed out or withdrawn, so none goes unrecorded.
"""

from django.db import transaction
from django.utils import timezone

from .access import requires_two_factor
from .audit import record
from .models import ApiToken, AuditEvent
from .two_factor import is_verified

# Why a user's tokens were revoked (audit summaries; English, like all summaries).
REASON_PASSWORD = "password changed"
REASON_DEACTIVATED = "account deactivated"
REASON_DEVICE = "last authenticator app removed"
REASON_BY_USER = "revoked by its user"


def may_issue_here(user) -> bool:
    """A user whose roles reach personal data gets a token only in a session that passed 2FA."""
    return user.is_authenticated and (not requires_two_factor(user) or is_verified(user))


def issue_token(*, user, name: str, request=None, summary: str = "") -> tuple[ApiToken, str]:
    with transaction.atomic():
        token, secret = ApiToken.issue(user=user, name=name)
        record(
            request,
            AuditEvent.Action.TOKEN_ISSUE,
            token,
            summary=summary or f"API token {token.prefix}…",
            user=user if request is None else None,
        )
    return token, secret


def revoke_token(*, token: ApiToken, reason: str, request=None) -> bool:
    with transaction.atomic():
        revoked = token.revoke()
        if revoked:
            record(
                request,
                AuditEvent.Action.TOKEN_REVOKE,
                token,
                summary=f"API token {token.prefix}…: {reason}",
                user=token.user if request is None else None,
            )
    return revoked


def revoke_all_tokens(user, *, reason: str, request=None) -> int:
    """Revoke every live token of this user, one audit row each; how many."""
    now = timezone.now()
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    count = 0
    for token in live.select_related("user"):
        count += revoke_token(token=token, reason=reason, request=request)
    return count
