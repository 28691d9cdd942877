"""What django-axes records about a failed login's username.

Lockout counts failures per username and address. A typed username that
matches no account is often a password typed into the wrong box, so axes
never stores it: it keeps a keyed digest, which still counts repeated tries
of the same text but cannot be read back.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac


def lockout_username(request, credentials=None) -> str | None:
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        typed = credentials.get(field)
    else:
        typed = getattr(request, "POST", {}).get(field)
    if not typed:
        return None
    User = get_user_model()
    if User._default_manager.filter(**{User.USERNAME_FIELD: typed}).exists():
        return typed
    return "unknown:" + salted_hmac("socialplan.lockout", typed).hexdigest()[:32]
