"""Hold staff who owe a TOTP code at the door until they enter it."""

import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect

from .two_factor import code_page_url, must_enter_code

# Pages anyone may read without logging in (each pattern matches a whole
# path). Everything else is guarded: a new page is guarded until it is added
# here. Even on these pages, a user who owes a code is served as the public
# (see TwoFactorMiddleware), so a public page that shows staff more, such as
# a refuge's address, shows it only after the code.
PUBLIC_PATHS = [
    re.compile(pattern)
    for pattern in (
        r"/",  # portal home
        r"/plans/(?!import/).*",  # not the import of a plan from Excel
        r"/territory/[-\w]+/",
        r"/needs/[-\w]+/",
        r"/directory/",
        r"/directory/services/\d+/",
        r"/directory/organisations/\d+/",
        r"/directory/coverage/[-\w]+/",  # not .../staff/
        r"/statistics/[-\w]+/",  # register counts, suppressed
        r"/monitoring/[-\w]+/\d+/public/",  # the public monitoring dashboard
        # Consultations hold groups and counts, no personal data (not .../new/).
        r"/monitoring/[-\w]+/consultations/",
        r"/monitoring/consultations/\d+/",
        r"/monitoring/[-\w]+/published/",  # published annual reports
        r"/monitoring/[-\w]+/\d+/v\d+/(report\.pdf|report\.docx)?",
        # Open data: the list, each download, each data dictionary (socialplan/portal).
        r"/open-data/",
        r"/open-data/[-\w]+/([-a-z]+\.(csv|xlsx|json)|[-a-z]+/dictionary/)",
    )
]
# The JSON API is public for reading only.
PUBLIC_READ_PATHS = [re.compile(r"/api/v1/.*")]
# Reachable with the password alone: finishing the log-in, or giving up.
TWO_FACTOR_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/login/",
    "/accounts/logout/",
    "/i18n/setlang/",
)


def _matches(patterns, path) -> bool:
    return any(pattern.fullmatch(path) for pattern in patterns)


def is_public(request) -> bool:
    if _matches(PUBLIC_PATHS, request.path_info):
        return True
    return request.method in ("GET", "HEAD") and _matches(PUBLIC_READ_PATHS, request.path_info)


class TwoFactorMiddleware:
    """After AuthenticationMiddleware and django_otp's OTPMiddleware.

    A user whose roles reach personal data (access.requires_two_factor) and
    who has logged in with a password only is sent to enter a code (or to set
    up an authenticator app) from every guarded page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        exempt = path.startswith(TWO_FACTOR_EXEMPT_PREFIXES) or request.path.startswith(
            settings.STATIC_URL
        )
        if not exempt and must_enter_code(request.user):
            if not is_public(request):
                # The path only, never the query string: it may hold a search term.
                return redirect(code_page_url(request.user, request.path))
            request.user = AnonymousUser()

            async def anonymous():
                return request.user

            request.auser = anonymous
        return self.get_response(request)
