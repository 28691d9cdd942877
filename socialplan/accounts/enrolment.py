"""One-time codes that let a user set up an authenticator app.

A password alone must not be enough to enrol the second factor: an
administrator issues a code (`manage.py issue_enrolment_code`, or the page
for directors) and hands it over by another channel (in person, by phone).
Only a password-style hash is stored; a code lasts
settings.ENROLMENT_CODE_HOURS, works once, and is burnt after
EnrolmentCode.MAX_FAILURES wrong tries.
"""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from .access import memberships
from .audit import record
from .models import AuditEvent, EnrolmentCode, Membership

# No 0/O, 1/I/L: read aloud or copied from paper without mistakes.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12
WRONG_CODE = "wrong enrolment code"
NO_CODE = "enrolment code tried, none live"

# Held in the session once a right code is entered, until the device is confirmed.
SESSION_KEY = "enrolment_code_id"


def normalise(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def readable(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def may_issue_for(issuer, user) -> bool:
    """A superuser, or a director of a municipality the user works in (not for a superuser)."""
    if issuer.is_superuser:
        return True
    if user.is_superuser:
        return False
    directed = {
        m.municipality_id for m in memberships(issuer) if m.role == Membership.Role.DIRECTOR
    }
    return user.memberships.filter(municipality_id__in=directed).exists()


def issue_code(*, user, by=None, request=None) -> str:
    """A new code for `user`, replacing any earlier one; the caller shows it once."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    expires = timezone.now() + datetime.timedelta(hours=settings.ENROLMENT_CODE_HOURS)
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user).delete()
        EnrolmentCode.objects.create(
            user=user, code_hash=make_password(code), issued_by=by, expires_at=expires
        )
        record(
            request,
            AuditEvent.Action.ENROL_CODE,
            user,
            summary="enrolment code issued" + ("" if by else " with manage.py"),
            user=by,
        )
    return readable(code)


def redeem(request, typed: str) -> bool:
    """True if `typed` is the user's live code; the code is then used up.

    A wrong code counts against the code and is audited; the last allowed
    wrong try burns it.
    """
    user = request.user
    with transaction.atomic():
        code = EnrolmentCode.objects.select_for_update().filter(user=user).first()
        if code is None or not code.usable:
            record(request, AuditEvent.Action.LOGIN_FAILED, summary=NO_CODE)
            return False
        if check_password(normalise(typed), code.code_hash):
            code.used_at = timezone.now()
            code.save(update_fields=["used_at"])
            record(request, AuditEvent.Action.ENROL_CODE, user, summary="enrolment code used")
            request.session[SESSION_KEY] = code.pk
            return True
        code.failures += 1
        code.save(update_fields=["failures"])
        burnt = code.failures >= EnrolmentCode.MAX_FAILURES
        record(
            request,
            AuditEvent.Action.LOGIN_FAILED,
            summary=WRONG_CODE + ("; code burnt" if burnt else ""),
        )
    return False


def redeemed_in_this_session(request) -> bool:
    code_id = request.session.get(SESSION_KEY)
    return (
        code_id is not None
        and EnrolmentCode.objects.filter(
            pk=code_id, user=request.user, used_at__isnull=False
        ).exists()
    )


def finish(request) -> None:
    request.session.pop(SESSION_KEY, None)
