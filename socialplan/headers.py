"""`Cache-Control: no-store` on every response that may hold personal data.

A browser (or a proxy) must not keep a copy of a person's record, a case or
a referral form on the disk of a shared municipal PC, nor show it again with
the Back button after the log-out. Public pages to the public keep the
caching headers they have: they hold no personal data.
"""

from django.utils.cache import add_never_cache_headers

from socialplan.accounts.middleware import is_public


def holds_personal_data(request) -> bool:
    """Whether the response to this request may hold personal data.

    - a logged-in user: even a public page shows staff more (a refuge's address);
    - a request with credentials (an API bearer token, whoever it belongs to);
    - any path that is not public: the register, cases, exports, PDFs, log-in.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    return not is_public(request)


class NoStoreMiddleware:
    """After AuthenticationMiddleware and TwoFactorMiddleware (it reads the user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if holds_personal_data(request):
            # no-store, no-cache, must-revalidate, private, max-age=0 and an
            # Expires in the past; Pragma for HTTP/1.0 caches.
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
