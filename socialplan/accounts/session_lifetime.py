"""A session ends a working day after its log-in, however busy.

SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST ends an idle session;
this ends a session that is kept busy (a PC left logged in at a counter, a
stolen cookie kept alive) settings.SESSION_MAX_HOURS after the log-in.
"""

import time

from django.conf import settings
from django.contrib.auth import logout

# Seconds since the epoch of the password step (set in signals.record_login).
LOGGED_IN_AT = "logged_in_at"


class SessionLifetimeMiddleware:
    """After AuthenticationMiddleware; before anything that reads request.user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(LOGGED_IN_AT)
            now = int(time.time())
            if started is None:
                # A session from before this check: its day starts now.
                request.session[LOGGED_IN_AT] = now
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
        return self.get_response(request)
