"""A user's own API tokens, and enrolment codes a director issues.

Both pages sit behind TwoFactorMiddleware: a user whose roles reach
personal data reaches them only after entering a TOTP code. The token page
checks that again itself (tokens.may_issue_here), so a token never comes
from a password-only session even where two-factor is switched off for a
demo. A new secret or code is shown in the response to the POST that made
it, never in a URL, and cannot be shown again.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import enrolment, tokens
from .access import memberships
from .forms import IssueEnrolmentCodeForm, TokenForm
from .models import ApiToken, Membership


@never_cache
@login_required
def token_list(request):
    user = request.user
    if not tokens.may_issue_here(user):
        raise PermissionDenied
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = tokens.issue_token(
            user=user, name=form.cleaned_data["name"], request=request
        )
        form = TokenForm()
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=user),
        "new_secret": new_secret,
    }
    return render(request, "accounts/tokens.html", context)


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if tokens.revoke_token(token=token, reason=tokens.REASON_BY_USER, request=request):
        messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("accounts:tokens")


def _may_issue_codes(user) -> bool:
    return user.is_superuser or any(m.role == Membership.Role.DIRECTOR for m in memberships(user))


@never_cache
@login_required
def enrolment_code_issue(request):
    """A director (or superuser) gives a colleague a code to set up their authenticator."""
    if not _may_issue_codes(request.user):
        raise PermissionDenied
    form = IssueEnrolmentCodeForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        colleague = get_user_model().objects.filter(username=username, is_active=True).first()
        # The same answer whether the account is absent or out of reach.
        if colleague is None or not enrolment.may_issue_for(request.user, colleague):
            form.add_error("username", _("No active colleague of yours has that username."))
        else:
            code = enrolment.issue_code(user=colleague, by=request.user, request=request)
            issued = {"username": colleague.get_username(), "code": code}
            form = IssueEnrolmentCodeForm()
    context = {"form": form, "issued": issued, "hours": settings.ENROLMENT_CODE_HOURS}
    return render(request, "accounts/enrolment_code_issue.html", context)
