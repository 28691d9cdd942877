"""Bearer tokens for the JSON API.

A token acts as its user: request.user becomes the token's user, so the
same access functions as the pages decide what it reads and writes. Only
bearer tokens open the endpoints with personal data: no session cookie, so
no cross-site request can use a logged-in browser's rights.

The secret never goes into a log or an audit row: it is hashed at once and
only the hash is looked up. A revoked or expired token, or one whose user
is inactive, is not found (ApiToken.find), so ninja answers 401.
"""

import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from socialplan.accounts.models import ApiToken

# last_used_at is written at most this often, not on every call.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest):
        # ninja's own __call__ logs a malformed header in DEBUG: it may hold a secret.
        scheme, _space, secret = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not secret.strip():
            return None
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str):
        api_token = ApiToken.find(token)
        if api_token is None:
            return None  # ninja answers 401
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            api_token.last_used_at = now
        request.user = api_token.user
        request.api_token = api_token
        return api_token


token_auth = TokenAuth()
